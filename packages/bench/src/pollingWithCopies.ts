/**
 * Status polling over HTTP with polls answered from the instance's copy of the line (issue 38), beside the same
 * build without copies and the memory profile, in alternating rounds (a single run swings 15–50% here), and the
 * bare ceiling of the same minutes. Each round: a join storm, then every waiter polls for a few seconds (the
 * scenario of `pnpm bench`). Writes docs/benchmarks/polling-copies.json. Run after `pnpm build`:
 *   node packages/bench/dist/pollingWithCopies.js [--rounds 3] [--quick]
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { Target } from "./LoadGenerator.ts"
import { median } from "./Report.ts"
import { joinStormAndPolling, reference, type ScenarioResult, type Sizes } from "./Scenarios.ts"
import { type Profile, startCeiling, startProfile } from "./Servers.ts"
import { ensureWrk } from "./Wrk.ts"

const quick = process.argv.includes("--quick")
const roundsArgument = process.argv.indexOf("--rounds")
const rounds = roundsArgument > 0 ? Number(process.argv[roundsArgument + 1]) : quick ? 1 : 3
const sizes: Sizes = {
  joinStorm: quick ? 1_000 : 20_000,
  pollSeconds: quick ? 1 : 6,
  hotSeatUsers: 0,
  bookings: 0,
  concurrency: 100,
  connections: 64,
  warmUpUsers: quick ? 200 : 5_000,
  warmUpSeconds: quick ? 1 : 2
}
const compared: ReadonlyArray<Profile> = ["memory", "postgres+redis ×1, no copies", "postgres+redis ×1"]

ensureWrk()
const ceilingRuns: Array<number> = []
const polling = new Map<Profile, Array<ScenarioResult>>(compared.map((profile) => [profile, []]))
for (let round = 0; round < rounds; round++) {
  const ceiling = await startCeiling()
  ceilingRuns.push(
    (
      await reference("ceiling", ceiling.urls[0]!, { method: "GET", path: "/" }, sizes, ceiling.pids).finally(() =>
        ceiling.stop()
      )
    ).requestsPerSecond
  )
  // Alternating order, so that no profile always runs in the same minute of a round.
  for (const profile of round % 2 === 0 ? compared : [...compared].reverse()) {
    const running = await startProfile(profile)
    const target = new Target(running.urls, sizes.concurrency, running.pids)
    try {
      const [, poll] = await joinStormAndPolling(target, sizes)
      polling.get(profile)!.push(poll)
      console.log(
        `round ${round + 1} · ${profile}: ${poll.requestsPerSecond.toFixed(0)} polls/s, ` +
          `${poll.serverCpuUsPerRequest?.toFixed(1) ?? "?"} µs server CPU per poll`
      )
    } finally {
      await target.close()
      await running.stop()
    }
  }
}
const ceilingRps = median(ceilingRuns)
const rows = compared.map((profile) => {
  const runs = polling.get(profile)!
  const rps = median(runs.map((r) => r.requestsPerSecond))
  return {
    profile,
    pollsPerSecond: Math.round(rps),
    ofCeiling: Number((rps / ceilingRps).toFixed(3)),
    serverCpuUsPerPoll: Number(median(runs.map((r) => r.serverCpuUsPerRequest ?? Number.NaN)).toFixed(1)),
    p99Ms: Number(median(runs.map((r) => r.latencyMs.p99)).toFixed(1)),
    runs: runs.map((r) => Math.round(r.requestsPerSecond))
  }
})
const report = { date: new Date().toISOString(), rounds, sizes, ceilingRequestsPerSecond: Math.round(ceilingRps), rows }
console.log(JSON.stringify(report))
if (!quick) {
  mkdirSync(new URL("../../../docs/benchmarks/", import.meta.url), { recursive: true })
  writeFileSync(
    new URL("../../../docs/benchmarks/polling-copies.json", import.meta.url),
    JSON.stringify(report, null, 2) + "\n"
  )
}
process.exit(0)
