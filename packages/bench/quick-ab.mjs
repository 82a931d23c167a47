// scratch: not committed
import { Target } from "./dist/LoadGenerator.js"
import { joinStormAndPolling, hotSeatStorm, reference } from "./dist/Scenarios.js"
import { startProfile, startCeiling } from "./dist/Servers.js"
const profile = process.argv[2] ?? "memory"
const sizes = { joinStorm: 20_000, pollSeconds: 6, hotSeatUsers: 10_000, bookings: 0, concurrency: 64, connections: 64 }
const c = await startCeiling()
const ceil = await reference("ceiling", c.urls[0], { method: "GET", path: "/" }, sizes)
await c.stop()
const running = await startProfile(profile)
const target = new Target(running.urls, 64)
const [join, poll] = await joinStormAndPolling(target, sizes)
const storm = await hotSeatStorm(target, sizes)
await target.close(); await running.stop()
for (const r of [ceil, join, poll, storm]) console.log(r.name.padEnd(16), r.requestsPerSecond.toFixed(0).padStart(7), (r.requestsPerSecond / ceil.requestsPerSecond).toFixed(2), "p99", r.latencyMs.p99.toFixed(1))
