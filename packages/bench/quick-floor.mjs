// scratch
import { reference } from "./dist/Scenarios.js"
import { startFloor, startCeiling } from "./dist/Servers.js"
const sizes = { pollSeconds: 5, connections: 64 }
const c = await startCeiling(); const ceil = await reference("ceiling", c.urls[0], { method: "GET", path: "/" }, sizes); await c.stop()
const f = await startFloor()
const floor = await reference("floor", f.urls[0], { method: "GET", path: "/queue/status", headers: { authorization: "Bearer at1.x", "queue-token": "qt" } }, sizes)
await f.stop()
console.log("ceiling", ceil.requestsPerSecond.toFixed(0), "floor", floor.requestsPerSecond.toFixed(0), (floor.requestsPerSecond/ceil.requestsPerSecond).toFixed(2))
