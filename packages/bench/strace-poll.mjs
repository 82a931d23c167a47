// scratch: not committed
import { spawn } from "node:child_process"
import { Target } from "./dist/LoadGenerator.js"
import { joinStormAndPolling } from "./dist/Scenarios.js"
import { startProfile } from "./dist/Servers.js"
const running = await startProfile("memory")
const target = new Target(running.urls, 64)
const pid = running.pids[0]
const tracer = spawn("strace", ["-c", "-f", "-p", String(pid)], { stdio: ["ignore", "inherit", "inherit"] })
await new Promise((r) => setTimeout(r, 500))
const [join, poll] = await joinStormAndPolling(target, { joinStorm: 2000, pollSeconds: 5, hotSeatUsers: 0, bookings: 0, concurrency: 64, connections: 64 })
console.log("poll", poll.requests, poll.requestsPerSecond.toFixed(0))
tracer.kill("SIGINT")
await new Promise((r) => tracer.on("close", r))
await target.close(); await running.stop()
