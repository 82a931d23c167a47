/**
 * Profiles the example server under status polling and the join storm:
 * starts it with --cpu-prof, drives the load, stops it, and prints the
 * functions with the most self time. Run after `pnpm build`:
 *   node packages/bench/dist/profile.js
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Target } from "./LoadGenerator.ts"
import { joinStormAndPolling } from "./Scenarios.ts"
import { adminKey, secret } from "./Servers.ts"

const dir = mkdtempSync(join(tmpdir(), "boxoffice-prof-"))
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => resolve(port))
  })
})
const server = spawn(
  process.execPath,
  [
    "--cpu-prof",
    `--cpu-prof-dir=${dir}`,
    fileURLToPath(new URL("../../../examples/server/dist/main.js", import.meta.url))
  ],
  {
    env: {
      ...process.env,
      PORT: String(port),
      BOXOFFICE_ADMIN_KEY: adminKey,
      BOXOFFICE_DEMO: "false",
      BOXOFFICE_SECRET: secret
    },
    stdio: "ignore"
  }
)
const url = `http://127.0.0.1:${port}`
for (
  let i = 0;
  i < 100 &&
  !(await fetch(`${url}/health`).then(
    (r) => r.ok,
    () => false
  ));
  i++
)
  await new Promise((r) => setTimeout(r, 100))
const target = new Target([url], 100)
const [join_, poll] = await joinStormAndPolling(target, {
  joinStorm: Number(process.env["PROFILE_USERS"] ?? 20_000),
  pollSeconds: Number(process.env["PROFILE_POLL_SECONDS"] ?? 8),
  hotSeatUsers: 0,
  bookings: 0,
  concurrency: 100,
  connections: 64,
  warmUpUsers: 5_000,
  warmUpSeconds: 2
})
await target.close()
console.log(`join ${join_.requestsPerSecond.toFixed(0)} req/s, polling ${poll.requestsPerSecond.toFixed(0)} req/s`)
await new Promise<void>((resolve) => {
  server.once("exit", () => resolve())
  server.kill("SIGTERM")
})
const profile = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), "utf8")) as {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>
  samples: Array<number>
}
const byNode = new Map(profile.nodes.map((n) => [n.id, n]))
const repositoryRoot = new URL("../../../", import.meta.url).href
const self = new Map<string, number>()
for (const id of profile.samples) {
  const frame = byNode.get(id)!.callFrame
  const key = `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*node_modules\/\.pnpm\/([^/]+)\/.*?\/([^/]+)$/, "$1 $2").replace(repositoryRoot, "")}:${frame.lineNumber}`
  self.set(key, (self.get(key) ?? 0) + 1)
}
const total = profile.samples.length
for (const [key, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${key}`)
}
// Self time by file: where the cost lives when no single function stands out.
const byFile = new Map<string, number>()
for (const id of profile.samples) {
  const frame = byNode.get(id)!.callFrame
  const key =
    frame.url === ""
      ? `(native) ${frame.functionName}`
      : frame.url.replace(/^.*node_modules\/\.pnpm\/([^/]+)\/.*?\/([^/]+)$/, "$1 $2").replace(repositoryRoot, "")
  byFile.set(key, (byFile.get(key) ?? 0) + 1)
}
console.log("by file:")
for (const [key, count] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${key}`)
}
