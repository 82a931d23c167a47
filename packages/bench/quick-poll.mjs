// scratch: not committed — polling only
import { Target } from "./dist/LoadGenerator.js"
import { joinStormAndPolling } from "./dist/Scenarios.js"
import { startProfile } from "./dist/Servers.js"
const running = await startProfile(process.argv[2] ?? "memory")
const target = new Target(running.urls, 64)
const [join, poll] = await joinStormAndPolling(target, { joinStorm: 3000, pollSeconds: 5, hotSeatUsers: 0, bookings: 0, concurrency: 64, connections: 64 })
await target.close(); await running.stop()
console.log(process.env.LABEL ?? "", "join", join.requestsPerSecond.toFixed(0), "poll", poll.requestsPerSecond.toFixed(0))
