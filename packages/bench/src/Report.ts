/**
 * Writes the results: docs/benchmarks/<date>.json with everything, and
 * docs/benchmarks.md with a table and an SVG chart of each scenario's
 * throughput as a share of the ceiling.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import type { LoadResult } from "./LoadGenerator.ts"
import type { BookingResult, MetricsBurst, ScenarioResult } from "./Scenarios.ts"

export interface ProfileResults {
  readonly profile: string
  readonly scenarios: ReadonlyArray<ScenarioResult>
  readonly booking: BookingResult
}

/** One profile of the engine-level benchmark (`engine.ts`). */
export interface EngineResult {
  readonly profile: string
  readonly bookings: number
  readonly fibers: number
  readonly paidBookingsPerSecond: number
  readonly stepsMs: Record<string, { readonly p50: number; readonly p99: number }>
}

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * Per scenario, the medians over the bursts with request metrics off and
 * on, and the median of each burst's on/off throughput ratio.
 */
export const metricsCostSummary = (bursts: ReadonlyArray<MetricsBurst>) => {
  const names = [...new Set(bursts.map((b) => b.scenario))]
  return names.map((scenario) => {
    const of = (on: boolean) => bursts.filter((b) => b.scenario === scenario && b.requestMetrics === on)
    const cpu = (results: ReadonlyArray<MetricsBurst>) => {
      const values = results.flatMap((b) => (b.serverCpuUsPerRequest === undefined ? [] : [b.serverCpuUsPerRequest]))
      return values.length === 0 ? undefined : median(values)
    }
    const off = of(false)
    const on = of(true)
    return {
      scenario,
      bursts: off.length,
      offRequestsPerSecond: median(off.map((b) => b.requestsPerSecond)),
      onRequestsPerSecond: median(on.map((b) => b.requestsPerSecond)),
      pairedRequestsRatio: median(on.map((b, i) => b.requestsPerSecond / off[i]!.requestsPerSecond)),
      offCpuUsPerRequest: cpu(off),
      onCpuUsPerRequest: cpu(on)
    }
  })
}

export interface Results {
  readonly date: string
  readonly machine: {
    readonly cpus: number
    readonly cpuModel: string
    readonly memoryGiB: number
    readonly node: string
  }
  readonly sizes: Record<string, number>
  readonly ceiling: LoadResult
  /** The minimal effect/http-api endpoint of floor.ts. */
  readonly floor: LoadResult
  /** The ceiling server spending `workMicros` of CPU on each request first (absent from runs before 2026-11-24). */
  readonly budget?: ReadonlyArray<LoadResult & { readonly workMicros: number }>
  readonly profiles: ReadonlyArray<ProfileResults>
  readonly engine: ReadonlyArray<EngineResult>
  /** Two memory servers, request metrics off and on, in alternating bursts. */
  readonly metricsCost: ReadonlyArray<MetricsBurst>
  /** The middleware's own cost: one route in process, without sockets, with `RequestMetrics` off and on (medians). */
  readonly requestMetricsInProcess: { readonly offCpuUsPerRequest: number; readonly onCpuUsPerRequest: number }
  readonly queueScale: ReadonlyArray<{
    readonly waitingUsers: number
    readonly statusP50Us: number
    readonly statusP99Us: number
    readonly pingP50Us: number
    /** Joins through the join script, pipelined, averaged over filling the queue to this size. */
    readonly joinsPerSecondWhileFilling: number
  }>
  /** Redis's own CPU per status call and per join, by the state of the sale (absent before 2026-11-24's evening, or when Redis was not local). */
  readonly redisWork?: ReadonlyArray<{
    readonly sale: string
    readonly statusRedisCpuUs: number
    /** Per poll, with 8 polls to a call as a busy server groups a turn's polls; absent in runs before grouping. */
    readonly groupedStatusRedisCpuUs?: number
    readonly joinRedisCpuUs: number
  }>
}

const docs = new URL("../../../docs/", import.meta.url)

/** Redis's own work per call: Redis serves every instance, so this bounds a whole deployment. */
const redisWorkSection = (results: Results) =>
  results.redisWork === undefined || results.redisWork.length === 0
    ? ""
    : `What Redis itself spends per call (its CPU time from /proc, the scripts alone and pipelined, 10,000 waiters).
Redis serves every instance of a deployment, so one Redis core answers at most a million over this many polls
a second, however many instances there are:

| sale | Redis CPU µs per status call | per poll, 8 polls to a call | Redis CPU µs per join |
|---|---|---|---|
${results.redisWork
  .map(
    (r) =>
      `| ${r.sale} | ${f1(r.statusRedisCpuUs)} | ${r.groupedStatusRedisCpuUs === undefined ? "–" : f1(r.groupedStatusRedisCpuUs)} | ${f1(r.joinRedisCpuUs)} |`
  )
  .join("\n")}

A busy server sends the polls of one queue made in one turn as one call, up to 8 (decision 65).

`
const f0 = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 })
const f1 = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 })
const cpuCell = (result: { readonly serverCpuUsPerRequest?: number }) =>
  result.serverCpuUsPerRequest === undefined ? "—" : f1(result.serverCpuUsPerRequest)
const change = (before: number, after: number) =>
  `${after >= before ? "+" : "−"}${(Math.abs(after / before - 1) * 100).toFixed(1)}%`

const chart = (results: Results) => {
  const bars = results.profiles.flatMap((p) =>
    p.scenarios.map((s) => ({
      label: `${s.name} · ${p.profile}`,
      share: s.requestsPerSecond / results.ceiling.requestsPerSecond
    }))
  )
  const width = 760
  const rowHeight = 26
  const left = 300
  const scale = width - left - 80
  const rows = bars.map((bar, i) => {
    const y = 40 + i * rowHeight
    const w = Math.max(1, Math.min(1, bar.share) * scale)
    return (
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${bar.label}</text>` +
      `<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="17" fill="#4f7cac"/>` +
      `<text x="${left + w + 6}" y="${y + 16}">${(bar.share * 100).toFixed(1)}%</text>`
    )
  })
  const height = 60 + bars.length * rowHeight
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="${left}" y="22" font-size="14">Throughput as a share of the bare node:http ceiling (${f0(results.ceiling.requestsPerSecond)} req/s)</text>` +
    `<line x1="${left + scale}" y1="34" x2="${left + scale}" y2="${height - 10}" stroke="#999" stroke-dasharray="4 3"/>` +
    rows.join("") +
    `</svg>\n`
  )
}

/** The in-process cost of request metrics as a share of a polled memory server's CPU per request. */
const pollingShare = (results: Results) => {
  const polling = results.profiles
    .find((p) => p.profile === "memory")
    ?.scenarios.find((s) => s.name === "status polling")
  if (polling?.serverCpuUsPerRequest === undefined) return ""
  const extra = results.requestMetricsInProcess.onCpuUsPerRequest - results.requestMetricsInProcess.offCpuUsPerRequest
  return `, or ${((extra / polling.serverCpuUsPerRequest) * 100).toFixed(1)}% of the ${f1(polling.serverCpuUsPerRequest)} µs of server CPU that a status poll costs on the memory profile`
}

/**
 * The per-request work that a throughput allows, read off the budget curve:
 * time per request is close to linear in the work, so interpolate there,
 * and extend the last segment past the last point.
 */
const workFor = (results: Results, requestsPerSecond: number): number | undefined => {
  const points = [{ workMicros: 0, requestsPerSecond: results.ceiling.requestsPerSecond }, ...(results.budget ?? [])]
    .map((p) => ({ work: p.workMicros, time: 1 / p.requestsPerSecond }))
    .sort((a, b) => a.work - b.work)
  if (points.length < 2) return undefined
  const time = 1 / requestsPerSecond
  // The segment that holds `time`, or the first or last one outside the curve.
  const found = points.findIndex((p) => p.time >= time)
  const upper = found === -1 ? points.length - 1 : Math.max(1, found)
  const a = points[upper - 1]!
  const b = points[upper]!
  if (b.time === a.time) return undefined
  return Math.max(0, a.work + ((time - a.time) * (b.work - a.work)) / (b.time - a.time))
}

/** How the servers were warmed up, for runs that did (older results did not). */
const warmUpText = (sizes: Record<string, number>) =>
  sizes["warmUpUsers"] === undefined
    ? ""
    : `
Each storm runs first on ${f0(sizes["warmUpUsers"])} other users and a concert of their own, not measured,
and each reference server gets ${sizes["warmUpSeconds"]} s of its request first: a server's first seconds are
spent compiling its hot paths, which a server that was up before a sale has done.`

/** The throughput targets of the HTTP hot path, as shares of the ceiling. */
const targets = [
  { scenario: "status polling", profile: "memory", share: 0.45 },
  // Issue 38: polls answered from each instance's copy of the line, the server's default.
  { scenario: "status polling", profile: "postgres+redis ×1", share: 0.5 },
  { scenario: "status polling", profile: "postgres+redis ×1, no copies", share: 0.35 },
  { scenario: "join storm", profile: "memory", share: 0.3 },
  { scenario: "join storm", profile: "postgres+redis ×1", share: 0.25 }
] as const

/** A run to compare against: an earlier results file, each share read against its own run's ceiling. */
export interface Before {
  /** Where it is, relative to docs/benchmarks/. */
  readonly file: string
  readonly results: Results
}

/** A scenario's share of its own run's ceiling. */
const shareIn = (results: Results, scenario: string, profile: string): number | undefined => {
  const measured = results.profiles.find((p) => p.profile === profile)?.scenarios.find((s) => s.name === scenario)
  return measured === undefined ? undefined : measured.requestsPerSecond / results.ceiling.requestsPerSecond
}

const budgetSection = (results: Results, before: Before | undefined) => {
  const budget = results.budget
  if (budget === undefined || budget.length === 0) return ""
  const ceiling = results.ceiling.requestsPerSecond
  const curveRows = budget.map(
    (b) =>
      `| ${b.workMicros} | ${f0(b.requestsPerSecond)} | ${((b.requestsPerSecond / ceiling) * 100).toFixed(1)}% | ${cpuCell(b)} |`
  )
  const workCell = (requestsPerSecond: number) => {
    const work = workFor(results, requestsPerSecond)
    return work === undefined ? "—" : `${f0(work)} µs`
  }
  const floorWork = workFor(results, results.floor.requestsPerSecond)
  /** Why a missed target is missed, in the curve's terms: the work it leaves against the work measured. */
  const verdict = (targetShare: number, share: number) => {
    if (share >= targetShare) return "met"
    const leaves = workFor(results, targetShare * ceiling)
    const means = workFor(results, share * ceiling)
    if (leaves === undefined || means === undefined) return "missed"
    const belowFloor =
      floorWork !== undefined && leaves < floorWork
        ? `; the target leaves less than the framework's minimal endpoint spends (${f0(floorWork)} µs)`
        : ""
    return `missed by ${f0(means - leaves)} µs of work per request${belowFloor}`
  }
  const targetRows = targets.flatMap((t) => {
    const share = shareIn(results, t.scenario, t.profile)
    if (share === undefined) return []
    const earlier = before === undefined ? undefined : shareIn(before.results, t.scenario, t.profile)
    return [
      `| ${t.scenario} · ${t.profile} | ${(t.share * 100).toFixed(0)}% | ${workCell(t.share * ceiling)} | ` +
        (before === undefined ? "" : `${earlier === undefined ? "—" : `${(earlier * 100).toFixed(1)}%`} | `) +
        `${(share * 100).toFixed(1)}% | ${workCell(share * ceiling)} | ${verdict(t.share, share)} |`
    ]
  })
  const beforeNote =
    before === undefined
      ? ""
      : `
"Before" is the run in \`${before.file}\`, measured ${before.results.date}
(ceiling ${f0(before.results.ceiling.requestsPerSecond)} req/s, the floor at ${((before.results.floor.requestsPerSecond / before.results.ceiling.requestsPerSecond) * 100).toFixed(1)}% of it), each share against that
run's own ceiling.${before.results.sizes["warmUpUsers"] === undefined ? " Its storms ran on freshly started servers, with no warm-up." : ""} Earlier results files are kept in git, not here;
how to compare two builds: [performance.md](performance.md).
`
  return `
## What a request's work costs on this machine

The ceiling server again, spending a fixed amount of CPU on each request before its constant answer (a loop
calibrated against the process's CPU clock, \`packages/bench/src/CalibratedWork.ts\`). It turns a share of the
ceiling into the work per request that the share leaves, on these cores, with this generator.

| work per request, µs of CPU | req/s | of ceiling | server CPU µs/request |
|---|---|---|---|
| 0 (the ceiling) | ${f0(ceiling)} | 100% | ${cpuCell(results.ceiling)} |
${curveRows.join("\n")}

Read off that curve (interpolated in time per request), the floor answers as a server doing
${workCell(results.floor.requestsPerSecond)} of work per request would, and each throughput target leaves:

| scenario | target | work the target leaves | ${before === undefined ? "" : "before | "}measured | work the measured rate means | verdict |
|---|---|---|${before === undefined ? "" : "---|"}---|---|---|
${targetRows.join("\n")}
${beforeNote}
On the Postgres + Redis profile the stores run on the same two cores, so the work its rates mean includes
theirs.
`
}

/**
 * Writes docs/benchmarks.md, the chart and the results file; with `before`, the targets
 * table also shows that earlier run.
 */
export const writeReport = (results: Results, before?: Before) => {
  mkdirSync(new URL("benchmarks/", docs), { recursive: true })
  const day = results.date.slice(0, 10)
  writeFileSync(new URL(`benchmarks/${day}.json`, docs), JSON.stringify(results, null, 2) + "\n")
  writeFileSync(new URL("benchmarks/chart.svg", docs), chart(results))
  const ceiling = results.ceiling.requestsPerSecond
  const floor = results.floor.requestsPerSecond
  const scenarioRows = results.profiles.flatMap((p) =>
    p.scenarios.map(
      (s) =>
        `| ${s.name} | ${p.profile} | ${f0(s.requests)} | ${f0(s.requestsPerSecond)} | ${((s.requestsPerSecond / ceiling) * 100).toFixed(1)}% | ${(s.requestsPerSecond / floor).toFixed(2)}× | ${cpuCell(s)} | ${f1(s.latencyMs.p50)} | ${f1(s.latencyMs.p95)} | ${f1(s.latencyMs.p99)} | ${s.outcome} |`
    )
  )
  const metricsRows = metricsCostSummary(results.metricsCost).map(
    (m) =>
      `| ${m.scenario} | ${m.bursts} | ${f0(m.offRequestsPerSecond)} | ${f0(m.onRequestsPerSecond)} | ${change(1, m.pairedRequestsRatio)} | ` +
      (m.offCpuUsPerRequest === undefined || m.onCpuUsPerRequest === undefined
        ? "— | — | — |"
        : `${f1(m.offCpuUsPerRequest)} | ${f1(m.onCpuUsPerRequest)} | ${change(m.offCpuUsPerRequest, m.onCpuUsPerRequest)} |`)
  )
  const bookingRows = results.profiles.map((p) => {
    const steps = Object.entries(p.booking.stepsMs)
      .map(([k, v]) => `${k} ${f1(v.p50)} / ${f1(v.p95)} / ${f1(v.p99)}`)
      .join("; ")
    return `| ${p.profile} | ${f0(p.booking.bookings)} | ${f0(p.booking.paidBookingsPerSecond)} | ${steps} |`
  })
  const engineRows = results.engine.map((e) => {
    const steps = Object.entries(e.stepsMs)
      .map(([k, v]) => `${k} ${f1(v.p50)} / ${f1(v.p99)}`)
      .join("; ")
    return `| ${e.profile} | ${f0(e.bookings)} | ${e.fibers} | ${f0(e.paidBookingsPerSecond)} | ${steps} |`
  })
  const queueRows = results.queueScale.map(
    (q) =>
      `| ${f0(q.waitingUsers)} | ${f0(q.statusP50Us)} µs | ${f0(q.statusP99Us)} µs | ${f0(q.pingP50Us)} µs | ${(q.statusP50Us / results.queueScale[0]!.statusP50Us).toFixed(2)}× | ${f0(q.joinsPerSecondWhileFilling)} |`
  )
  const md = `# Benchmarks

Regenerated by \`pnpm bench\` (results in [benchmarks/${day}.json](benchmarks/${day}.json)); \`pnpm bench --quick\`
runs every scenario briefly and checks outcomes without writing anything. The method, the lessons that
steer the hot path, and memory over 30 minutes of mixed load (the soak, not part of this run):
[performance.md](performance.md).

Measured ${results.date} on ${results.machine.cpus} cores (${results.machine.cpuModel}), ${results.machine.memoryGiB} GiB,
Node ${results.machine.node}. Throughput scenarios are driven by **wrk** (one thread, ${results.sizes["connections"]} keep-alive
connections, \`packages/bench/lua/replay.lua\`): storms send each user's request exactly once, polling cycles
through every waiter for ${results.sizes["pollSeconds"]} s, and every answer is tallied by status and problem code, so each
outcome is checked exactly.${warmUpText(results.sizes)}
Latencies are wrk's. The per-user booking flow, whose steps depend on earlier answers, runs on the bench's
undici generator at a rate where that is not the limit. Every process (wrk, the servers, PostgreSQL, Redis)
shares these cores. The servers run with rate limits off (\`BOXOFFICE_RATE_LIMITS=off\`): the bench is one
address making tens of thousands of users, exactly what the limits exist to stop.

## Reference servers

| server | req/s | of ceiling | server CPU µs/request | p50 ms | p99 ms |
|---|---|---|---|---|---|
| ceiling: bare \`node:http\` answering \`{"status":"ok"}\` | ${f0(ceiling)} | 100% | ${cpuCell(results.ceiling)} | ${f1(results.ceiling.latencyMs.p50)} | ${f1(results.ceiling.latencyMs.p99)} |
| floor: a minimal \`effect/http-api\` \`GET /queue/status\` (bearer middleware, header schema; \`packages/bench/src/floor.ts\`) | ${f0(results.floor.requestsPerSecond)} | ${((results.floor.requestsPerSecond / ceiling) * 100).toFixed(1)}% | ${cpuCell(results.floor)} | ${f1(results.floor.latencyMs.p50)} | ${f1(results.floor.latencyMs.p99)} |

![share of the ceiling](benchmarks/chart.svg)

Profiles: "memory" is the embedded default; "postgres+redis ×1" one instance; "postgres+redis, 2 workers"
one instance with \`BOXOFFICE_WORKERS=2\`; "postgres+redis ×2" two separate instances, which wrk (one address)
does not drive, so only the booking flow runs there, round-robin.

## Scenarios

| scenario | profile | requests | req/s | of ceiling | of floor | server CPU µs/request | p50 ms | p95 ms | p99 ms | outcome |
|---|---|---|---|---|---|---|---|---|---|---|
${scenarioRows.join("\n")}

"Of floor" is the rate against the minimal \`effect/http-api\` endpoint's in the same run. It moves less
between fast and slow hours of this machine than the share of the ceiling does: in a slow hour a server's work
per request costs more, the floor's as well as ours, while the bare ceiling's is mostly the kernel's and slows
less.
"Server CPU" is the CPU time (user + system) the server's processes used during the measured phase, per answered
request, read from /proc: what a request costs the server, whatever the generator and the stores took of the
cores meanwhile. On these shared cores it swings from run to run too, by up to 10–20%, as throughput does.
${budgetSection(results, before)}
## The cost of request metrics

Two memory servers run at once, one with \`BOXOFFICE_REQUEST_METRICS\` off and one on (every request counted
and timed by route and status for \`/metrics\`), and take short bursts of polling (3 s) and of fresh joins in
turn, so that the machine's drift from minute to minute falls on both alike; each round starts a fresh pair,
since one process can run a few percent faster than another of the same build. Medians over all bursts; the
change in throughput is the median of each burst pair's ratio.

| scenario | bursts each | req/s off | req/s on | change | server CPU µs/request off | on | change |
|---|---|---|---|---|---|---|---|
${metricsRows.join("\n")}

Bursts of one pair still differ by 10–20%, more than the metrics cost. The middleware's own work, measured
in process on one route with no sockets (\`packages/bench/src/requestMetricsCost.ts\`, alternating processes,
medians): ${f1(results.requestMetricsInProcess.offCpuUsPerRequest)} → ${f1(results.requestMetricsInProcess.onCpuUsPerRequest)} µs per request, that is
${f1(results.requestMetricsInProcess.onCpuUsPerRequest - results.requestMetricsInProcess.offCpuUsPerRequest)} µs${pollingShare(results)}.

## Sustained booking (join → hold → charge → pay)

| profile | bookings | paid bookings/s | per step p50 / p95 / p99 ms |
|---|---|---|---|
${bookingRows.join("\n")}

## Engine level: \`Booking\` without HTTP (\`pnpm --filter @boxoffice/bench engine\`)

Fibers in the bench's own process each run whole bookings (join → hold → charge → pay, with keys) straight
through \`Booking\`. "Queue in memory" isolates Postgres's share; the pool is 20 connections.

| profile | bookings | fibers | paid bookings/s | per step p50 / p99 ms |
|---|---|---|---|---|
${engineRows.join("\n")}

## Queue scale (Redis: the status script's position lookup, and joins)

| waiting users | status p50 | status p99 | PING p50 | p50 vs smallest | joins/s while filling |
|---|---|---|---|---|---|
${queueRows.join("\n")}

${redisWorkSection(results)}Sizes: ${Object.entries(results.sizes)
    .map(([k, v]) => `${k} ${f0(v)}`)
    .join(", ")}.
`
  writeFileSync(new URL("benchmarks.md", docs), md)
}
