/**
 * The throughput generator: wrk (C, one thread, keep-alive connections)
 * replaying a list of requests through lua/replay.lua. The bench's own
 * undici generator shares the two cores with the server and became the
 * limit long before the server did; wrk reaches the bare server's real
 * ceiling.
 * Latencies come from wrk's own histogram.
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { LoadResult, Request } from "./LoadGenerator.ts"
import { cpuMsOf } from "./ServerCpu.ts"

const script = fileURLToPath(new URL("../lua/replay.lua", import.meta.url))

export interface WrkResult extends LoadResult {
  /** Answers by status, and by problem code for 4xx/5xx: `{ "201": 50, "409 seat-unavailable": 950 }`. */
  readonly statuses: Record<string, number>
}

const hasWrk = () => spawnSync("wrk", ["-v"], { encoding: "utf8" }).error === undefined

/**
 * Finds wrk, installing Debian's package when running as root on a machine
 * with apt-get; otherwise says how to install it.
 */
export const ensureWrk = () => {
  if (hasWrk()) return
  const root = process.getuid?.() === 0
  if (root && spawnSync("apt-get", ["--version"]).error === undefined) {
    console.log("bench: installing wrk (apt-get install wrk)")
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
    let install = spawnSync("apt-get", ["install", "-y", "-qq", "wrk"], { env, stdio: "inherit" })
    if (install.status !== 0) {
      spawnSync("apt-get", ["update", "-qq"], { env, stdio: "inherit" })
      install = spawnSync("apt-get", ["install", "-y", "-qq", "wrk"], { env, stdio: "inherit" })
    }
    if (install.status === 0 && hasWrk()) return
  }
  throw new Error(
    "the bench drives load with wrk, which is not installed: `apt-get install wrk` (Debian, Ubuntu) or `brew install wrk` (macOS)"
  )
}

const encode = (request: Request) => {
  const headers = Object.entries(request.headers ?? {})
    .map(([name, value]) => `${name}:${value}`)
    .join("\x1f")
  return `${request.method}\t${request.path}\t${headers}\t${request.body === undefined ? "" : JSON.stringify(request.body)}`
}

/**
 * Replays `requests` against `url` with wrk: cycling through them for
 * `durationSeconds`, or, with `once`, each exactly once (the duration is
 * then the span from the first request to the last answer).
 */
export const wrk = async (options: {
  readonly name: string
  readonly url: string
  readonly requests: ReadonlyArray<Request>
  readonly connections: number
  readonly once?: boolean
  readonly durationSeconds?: number
  /** Server processes whose CPU per answered request to report. */
  readonly serverPids?: ReadonlyArray<number>
}): Promise<WrkResult> => {
  const dir = mkdtempSync(join(tmpdir(), "boxoffice-wrk-"))
  const file = join(dir, "requests.tsv")
  writeFileSync(file, options.requests.map(encode).join("\n") + "\n")
  try {
    // A run sent once ends at its last answer; -d only bounds it.
    const seconds = options.once === true ? 600 : (options.durationSeconds ?? 8)
    const serverPids = options.serverPids ?? []
    const cpuBeforeMs = serverPids.length > 0 ? cpuMsOf(serverPids) : undefined
    const child = spawn(
      "wrk",
      ["-t1", `-c${options.connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", script, options.url],
      {
        env: { ...process.env, BENCH_REQUESTS: file, BENCH_ONCE: options.once === true ? "1" : "0" },
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let out = ""
    let errors = ""
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk
      if (out.includes("BENCH-SENT\n")) child.kill("SIGINT")
    })
    child.stderr.on("data", (chunk: Buffer) => (errors += chunk))
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
    const cpuAfterMs = cpuBeforeMs === undefined ? undefined : cpuMsOf(serverPids)
    const line = out.split("\n").find((l) => l.startsWith("BENCH {"))
    if (line === undefined) throw new Error(`wrk (${options.name}) printed no result (exit ${code}): ${errors}${out}`)
    const result = JSON.parse(line.slice("BENCH ".length)) as {
      requests: number
      durationUs: number
      socketErrors: number
      timeouts: number
      latencyUs: { p50: number; p95: number; p99: number; max: number }
      statuses: Record<string, number>
    }
    const ms = (us: number) => us / 1000
    return {
      name: options.name,
      requests: result.requests,
      errors: result.socketErrors + result.timeouts,
      durationMs: ms(result.durationUs),
      requestsPerSecond: result.requests / (result.durationUs / 1e6),
      latencyMs: {
        p50: ms(result.latencyUs.p50),
        p95: ms(result.latencyUs.p95),
        p99: ms(result.latencyUs.p99),
        max: ms(result.latencyUs.max)
      },
      statuses: result.statuses,
      ...(cpuBeforeMs !== undefined && cpuAfterMs !== undefined && result.requests > 0
        ? { serverCpuUsPerRequest: ((cpuAfterMs - cpuBeforeMs) * 1000) / result.requests }
        : {})
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
