/**
 * `pnpm bench`: measures the ceiling and every scenario on every profile in
 * one run, checks each outcome, and writes docs/benchmarks.md. With
 * `--quick`, runs everything briefly, checks outcomes and writes nothing.
 */
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { basename } from "node:path"
import { fileURLToPath } from "node:url"
import { Target } from "./LoadGenerator.ts"
import {
  type EngineResult,
  median,
  metricsCostSummary,
  writeReport,
  type ProfileResults,
  type Results
} from "./Report.ts"
import {
  hotSeatStorm,
  joinStormAndPolling,
  type MetricsBurst,
  metricsCostBursts,
  reference,
  type ScenarioResult,
  type Sizes,
  sustainedBooking
} from "./Scenarios.ts"
import { profiles, type Running, startCeiling, startFloor, startProfile } from "./Servers.ts"
import { ensureWrk } from "./Wrk.ts"

const quick = process.argv.includes("--quick")
const sizes: Sizes = quick
  ? {
      joinStorm: 1_000,
      pollSeconds: 1,
      hotSeatUsers: 1_000,
      bookings: 200,
      concurrency: 50,
      connections: 64,
      warmUpUsers: 200,
      warmUpSeconds: 1
    }
  : {
      joinStorm: 50_000,
      pollSeconds: 8,
      hotSeatUsers: 20_000,
      bookings: 2_000,
      concurrency: 100,
      connections: 64,
      warmUpUsers: 10_000,
      warmUpSeconds: 2
    }

ensureWrk()

const withTarget = async <A>(running: Running, body: (target: Target) => Promise<A>) => {
  const target = new Target(running.urls, Math.ceil(sizes.concurrency / running.urls.length), running.pids)
  try {
    return await body(target)
  } finally {
    await target.close()
  }
}

const ceilingServer = await startCeiling()
const ceilingResult = await reference(
  "ceiling",
  ceilingServer.urls[0]!,
  { method: "GET", path: "/" },
  sizes,
  ceilingServer.pids
).finally(() => ceilingServer.stop())
const share = (requestsPerSecond: number) =>
  `${(requestsPerSecond / ceilingResult.requestsPerSecond).toFixed(2)}× the ceiling`
console.log(
  `ceiling (bare node:http): ${ceilingResult.requestsPerSecond.toFixed(0)} req/s, p99 ${ceilingResult.latencyMs.p99.toFixed(1)} ms`
)
// The budget curve: the ceiling server spending a fixed amount of CPU on each request first, so that a
// share of the ceiling reads as the CPU per request it leaves on this machine.
const budget: Array<ScenarioResult & { readonly workMicros: number }> = []
for (const workMicros of quick ? [20] : [10, 20, 40, 80, 160]) {
  const server = await startCeiling(workMicros)
  const result = await reference(
    `ceiling + ${workMicros} µs`,
    server.urls[0]!,
    { method: "GET", path: "/" },
    sizes,
    server.pids
  ).finally(() => server.stop())
  budget.push({ ...result, workMicros })
  console.log(
    `ceiling + ${workMicros} µs of work per request: ${result.requestsPerSecond.toFixed(0)} req/s, ${share(result.requestsPerSecond)}`
  )
}
const floorServer = await startFloor()
const floorResult = await reference(
  "floor",
  floorServer.urls[0]!,
  {
    method: "GET",
    path: "/queue/status",
    headers: { authorization: "Bearer at1.floor-user", "queue-token": "qt1.floor-token" }
  },
  sizes,
  floorServer.pids
).finally(() => floorServer.stop())
console.log(
  `floor (minimal effect/http-api): ${floorResult.requestsPerSecond.toFixed(0)} req/s, ${share(floorResult.requestsPerSecond)}`
)

const results: Array<ProfileResults> = []
for (const profile of profiles) {
  const running = await startProfile(profile)
  try {
    const outcome = await withTarget(running, async (target) => {
      // wrk drives one address; two separate instances get the per-user booking flow only.
      const scenarios =
        running.urls.length === 1
          ? [...(await joinStormAndPolling(target, sizes)), await hotSeatStorm(target, sizes)]
          : []
      const booking = await sustainedBooking(target, sizes)
      return { profile, scenarios, booking }
    })
    results.push(outcome)
    for (const s of outcome.scenarios) {
      console.log(
        `${profile} · ${s.name}: ${s.requestsPerSecond.toFixed(0)} req/s (${share(s.requestsPerSecond)}), p99 ${s.latencyMs.p99.toFixed(1)} ms — ${s.outcome}`
      )
    }
    console.log(
      `${profile} · sustained booking: ${outcome.booking.paidBookingsPerSecond.toFixed(0)} paid bookings/s — ${outcome.booking.outcome}`
    )
  } finally {
    await running.stop()
  }
}

// What request metrics cost over sockets: two memory servers, off and on, in alternating bursts; fresh
// servers each round, since one process can run a few percent faster than another of the same build.
const metricsRounds = quick ? 1 : 3
const metricsCost: Array<MetricsBurst> = []
for (let round = 0; round < metricsRounds; round++) {
  const [metricsOff, metricsOn] = await Promise.all([
    startProfile("memory", { BOXOFFICE_REQUEST_METRICS: "false" }),
    startProfile("memory", { BOXOFFICE_REQUEST_METRICS: "true" })
  ])
  metricsCost.push(
    ...(await withTarget(metricsOff, (off) =>
      withTarget(metricsOn, (on) =>
        metricsCostBursts(
          { off, on },
          quick
            ? { bursts: 2, burstSeconds: 1, pollers: 1_000, joinersPerBurst: 500, sizes }
            : { bursts: 4, burstSeconds: 3, pollers: 20_000, joinersPerBurst: 5_000, sizes }
        )
      )
    ).finally(() => Promise.all([metricsOff.stop(), metricsOn.stop()])))
  )
}

// The middleware's own CPU per request, in process, where its work stands out of the noise (see requestMetricsCost.ts).
const inProcess = { off: [] as Array<number>, on: [] as Array<number> }
for (let round = 0; round < metricsRounds; round++) {
  for (const setting of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
    const run = spawnSync(
      process.execPath,
      [fileURLToPath(new URL("./requestMetricsCost.js", import.meta.url)), setting, ...(quick ? ["--quick"] : [])],
      { encoding: "utf8" }
    )
    if (run.status !== 0) throw new Error(`request metrics cost failed: ${run.stderr}`)
    inProcess[setting].push((JSON.parse(run.stdout.trim()) as { cpuUsPerRequest: number }).cpuUsPerRequest)
  }
}
const requestMetricsInProcess = { offCpuUsPerRequest: median(inProcess.off), onCpuUsPerRequest: median(inProcess.on) }
console.log(
  `request metrics in process: ${requestMetricsInProcess.offCpuUsPerRequest.toFixed(2)} → ${requestMetricsInProcess.onCpuUsPerRequest.toFixed(2)} µs per request`
)
for (const row of metricsCostSummary(metricsCost)) {
  console.log(
    `request metrics · ${row.scenario}: ${row.offRequestsPerSecond.toFixed(0)} → ${row.onRequestsPerSecond.toFixed(0)} req/s ` +
      `(paired ${(row.pairedRequestsRatio * 100 - 100).toFixed(1)}%), server CPU ${row.offCpuUsPerRequest?.toFixed(1) ?? "?"} → ` +
      `${row.onCpuUsPerRequest?.toFixed(1) ?? "?"} µs per request`
  )
}

// Queue scale: the Redis position benchmark, 10^3..10^6 waiting users (10^3..10^4 when quick).
const scale = spawnSync(
  process.execPath,
  [fileURLToPath(new URL("../../redis/scripts/bench-position.ts", import.meta.url)), ...(quick ? ["--quick"] : [])],
  { encoding: "utf8" }
)
if (scale.status !== 0) throw new Error(`queue scale benchmark failed: ${scale.stderr}`)
const scaleRows = scale.stdout
  .trim()
  .split("\n")
  .slice(0, -1)
  .map((line) => JSON.parse(line))
const queueScale = scaleRows
  .filter((row) => row.waitingUsers !== undefined)
  .map((row) => ({
    waitingUsers: row.waitingUsers,
    statusP50Us: row.status.p50Us,
    statusP99Us: row.status.p99Us,
    pingP50Us: row.ping.p50Us,
    joinsPerSecondWhileFilling: row.waitingUsers / (row.fillMs / 1000)
  }))
console.log(`queue scale: ${queueScale.map((q) => `${q.waitingUsers}: ${q.statusP50Us.toFixed(0)} µs`).join(", ")}`)
// The fair-start draw: the one call that shuffles the whole pre-queue into the line.
const draws = scaleRows.filter((row) => row.pendingUsers !== undefined) as Array<{
  pendingUsers: number
  drawCallMs: Array<number>
}>
console.log(
  `fair-start draw: ${draws.map((d) => `${d.pendingUsers} pending: ${Math.max(...d.drawCallMs).toFixed(1)} ms`).join(", ")}`
)
// Redis's own CPU per call, for a sale just opened, under way, and behind a rate cap (absent when Redis is not local).
const redisWork = scaleRows
  .filter((row) => row.redisSale !== undefined)
  .map((row) => ({
    sale: row.redisSale as string,
    statusRedisCpuUs: row.statusRedisCpuUs as number,
    groupedStatusRedisCpuUs: row.groupedStatusRedisCpuUs as number,
    joinRedisCpuUs: row.joinRedisCpuUs as number
  }))
console.log(
  `redis CPU per status call: ${redisWork.map((r) => `${r.sale}: ${r.statusRedisCpuUs.toFixed(0)} µs (${r.groupedStatusRedisCpuUs.toFixed(0)} µs per poll, 8 to a call)`).join(", ")}`
)

// Copies of the lines (issue 38): Redis calls and CPU per poll, streams, change-to-copy latency, staleness, the
// copy of 10^6 waiters, each beside the same build with copies off; writes docs/benchmarks/redis-copies.json.
const copiesRun = spawnSync(
  process.execPath,
  [
    "--expose-gc",
    fileURLToPath(new URL("../../redis/scripts/bench-copies.ts", import.meta.url)),
    ...(quick ? ["--quick"] : [])
  ],
  { encoding: "utf8" }
)
if (copiesRun.status !== 0) throw new Error(`line copies benchmark failed: ${copiesRun.stderr}`)
const copies = Object.assign(
  {},
  ...copiesRun.stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
) as {
  polls?: { copiesOn: { redisCallsPerPoll: number }; copiesOff: { redisCallsPerPoll: number } }
  changeToCopy?: { p99Ms: number }
}
console.log(
  `line copies: ${copies.polls?.copiesOn.redisCallsPerPoll} Redis calls per poll (off: ${copies.polls?.copiesOff.redisCallsPerPoll}), ` +
    `change to copy p99 ${copies.changeToCopy?.p99Ms} ms`
)

// Engine level: `Booking` driven directly, no HTTP, on memory, Postgres alone and Postgres + Redis.
const engineRun = spawnSync(
  process.execPath,
  [fileURLToPath(new URL("./engine.js", import.meta.url)), "--json", "--bookings", quick ? "500" : "5000"],
  { encoding: "utf8" }
)
if (engineRun.status !== 0) throw new Error(`engine benchmark failed: ${engineRun.stderr}`)
const engine = engineRun.stdout
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as EngineResult)
console.log(`engine: ${engine.map((e) => `${e.profile} ${e.paidBookingsPerSecond.toFixed(0)} paid/s`).join(", ")}`)

if (quick) {
  console.log("bench --quick: every outcome checked; nothing written")
} else {
  const report: Results = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version
    },
    sizes: { ...sizes },
    ceiling: ceilingResult,
    floor: floorResult,
    budget,
    profiles: results,
    engine,
    metricsCost,
    requestMetricsInProcess,
    queueScale,
    redisWork
  }
  // BOXOFFICE_BENCH_BEFORE names an earlier results file to show beside this run's targets.
  const beforeFile = process.env["BOXOFFICE_BENCH_BEFORE"]
  writeReport(
    report,
    beforeFile === undefined
      ? undefined
      : { file: basename(beforeFile), results: JSON.parse(readFileSync(beforeFile, "utf8")) as Results }
  )
  console.log("wrote docs/benchmarks.md and docs/benchmarks/")
}
