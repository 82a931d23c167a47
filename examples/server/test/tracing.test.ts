/**
 * With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the server exports spans over
 * OTLP/HTTP: one per request, per use case and per store call. A local
 * receiver stands in for the collector.
 */
import { createServer, type Server } from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, type ServerProcess, spawnServer } from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { admittedUser, call, newConcert, newUser } from "./support/TestServer.ts"

let stores: Stores
let receiver: Server
let server: ServerProcess
const spanNames = new Set<string>()
/** Every export's raw body, and who waits for the next one. */
const exported: Array<string> = []
const onExport: Array<() => void> = []

interface OtlpBody {
  readonly resourceSpans?: ReadonlyArray<{
    readonly scopeSpans?: ReadonlyArray<{ readonly spans?: ReadonlyArray<{ readonly name: string }> }>
  }>
}

beforeAll(async () => {
  stores = await createStores()
  receiver = createServer((request, response) => {
    let body = ""
    request.on("data", (chunk) => (body += chunk))
    request.on("end", () => {
      if (request.url === "/v1/traces") {
        const parsed = JSON.parse(body) as OtlpBody
        for (const resource of parsed.resourceSpans ?? []) {
          for (const scope of resource.scopeSpans ?? []) for (const span of scope.spans ?? []) spanNames.add(span.name)
        }
        exported.push(body)
        for (const notify of onExport.splice(0)) notify()
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
  })
  const receiverPort = await freePort()
  await new Promise<void>((resolve) => receiver.listen(receiverPort, "127.0.0.1", resolve))
  server = spawnServer(stores, await freePort(), "tracing-secret-of-at-least-32-bytes!!", {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiverPort}`,
    OTEL_BSP_SCHEDULE_DELAY: "100"
  })
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`${server.url}/health`).then(
      (r) => r.ok,
      () => false
    )
    if (up) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the server did not start:\n${server.output()}`)
}, 60_000)

afterAll(async () => {
  server?.child.kill("SIGTERM")
  await new Promise((resolve) => server?.child.once("exit", resolve))
  receiver?.close()
  await stores?.drop()
}, 30_000)

describe("tracing over OTLP", () => {
  it("exports a span for the request, the use case and each store call", async () => {
    const user = await newUser(server.url)
    const charged = await call(server.url, "POST", "/wallet/charges", {
      token: user.accessToken,
      body: { amount: 1_000 }
    })
    assert.strictEqual(charged.status, 200)
    const wanted = ["Booking.charge", "Wallet.charge"]
    for (let i = 0; i < 100 && !wanted.every((name) => spanNames.has(name)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.includeMembers([...spanNames], wanted, [...spanNames].join(", "))
    assert.isTrue(
      [...spanNames].some((name) => /POST/.test(name) || /http/i.test(name)),
      [...spanNames].join(", ")
    )
  }, 30_000)

  it("never exports a queue token carried in the event stream's query", async () => {
    const concert = await newConcert(server.url)
    const user = await admittedUser(server.url, concert.concertId)
    const stream = await fetch(`${server.url}/queue/events?token=${encodeURIComponent(user.queueToken)}`)
    assert.strictEqual(stream.status, 200)
    await stream.body?.cancel()
    // The stream's span ends when it closes; wait for an export that names the events route.
    for (let i = 0; i < 100 && !exported.some((body) => body.includes("/queue/events")); i++) {
      await new Promise<void>((resolve) => onExport.push(resolve))
    }
    assert.isTrue(
      exported.some((body) => body.includes("/queue/events")),
      "the stream's span was exported"
    )
    const signature = user.queueToken.split(".").at(-1)!
    assert.isFalse(
      exported.some((body) => body.includes(signature)),
      "no exported span holds the token"
    )
  }, 30_000)
})
