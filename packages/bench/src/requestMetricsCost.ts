/**
 * `node dist/requestMetricsCost.js on|off [--quick]`: what request metrics
 * cost per request, measured where it can be seen. Over sockets, on cores
 * shared with the generator, throughput and even CPU per request swing
 * from run to run by far more than the metrics cost. Here one route
 * answers a fixed body in process, with no sockets, with `RequestMetrics`
 * in front of it or not; the CPU per request differs by the middleware's
 * own work, which stands out of the noise here. Each setting runs in
 * its own process (`pnpm bench` alternates them), since two apps in one
 * process would share the JIT's view of the framework. Prints one JSON line.
 */
import { RequestMetrics } from "@boxoffice/http"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"

const requestMetrics = process.argv[2] === "on"
const quick = process.argv.includes("--quick")
const route = HttpRouter.add(
  "GET",
  "/queue/status",
  Effect.succeed(HttpServerResponse.jsonUnsafe({ status: "waiting", position: 1 }))
)
const { handler, dispose } = HttpRouter.toWebHandler(
  requestMetrics
    ? Layer.merge(
        route,
        RequestMetrics.layer((_, path) => (path === "/queue/status" ? path : null))
      )
    : route,
  { disableLogger: true }
)

/** CPU microseconds per request over `count` requests, 64 in flight. */
const measure = async (count: number) => {
  const started = process.cpuUsage()
  for (let i = 0; i < count; i += 64) {
    const answers: Array<Promise<number>> = []
    for (let k = 0; k < 64; k++) {
      answers.push(
        handler(new Request("http://bench/queue/status")).then(async (response) => {
          await response.text()
          return response.status
        })
      )
    }
    if ((await Promise.all(answers)).some((status) => status !== 200)) throw new Error("a request was not answered 200")
  }
  const cpu = process.cpuUsage(started)
  return (cpu.user + cpu.system) / count
}

const requestsPerRound = quick ? 10_000 : 50_000
await measure(requestsPerRound)
const rounds: Array<number> = []
for (let i = 0; i < (quick ? 3 : 9); i++) rounds.push(await measure(requestsPerRound))
rounds.sort((a, b) => a - b)
console.log(JSON.stringify({ requestMetrics, cpuUsPerRequest: rounds[Math.floor(rounds.length / 2)] }))
await dispose()
