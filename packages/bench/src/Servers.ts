/**
 * Starts what the benchmarks measure, each in its own process: the bare
 * ceiling server, and the example server on each profile (memory; Postgres
 * + Redis with one or two instances), with throwaway stores.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createWriteStream } from "node:fs"
import { get } from "node:http"
import { createServer } from "node:net"
import { basename, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Redis } from "ioredis"
import postgres from "postgres"

export const adminKey = "bench-admin-key-0123456789"
/** The servers' signing secret, shared with the bench so that it can sign users' tokens itself. */
export const secret = "bench-secret-of-at-least-thirty-two-bytes"
const postgresUrl = process.env["BOXOFFICE_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
const redisUrl = process.env["BOXOFFICE_TEST_REDIS"] ?? "redis://127.0.0.1:6379"
/** The example server; `BOXOFFICE_BENCH_SERVER` names another build's main.js, to measure a baseline in the same run. */
const serverMain =
  process.env["BOXOFFICE_BENCH_SERVER"] ??
  fileURLToPath(new URL("../../../examples/server/dist/main.js", import.meta.url))
const ceilingMain = fileURLToPath(new URL("./ceiling.js", import.meta.url))
const floorMain = fileURLToPath(new URL("./floor.js", import.meta.url))

export type Profile =
  | "memory"
  | "postgres+redis ×1"
  | "postgres+redis ×1, no copies"
  | "postgres+redis, 2 workers"
  | "postgres+redis ×2"
/**
 * Each profile of the example server. "2 workers" is one instance with
 * `BOXOFFICE_WORKERS=2` (two processes behind one port); "×2" is two
 * separate instances, driven round-robin by the per-user booking flow only,
 * since wrk drives one address. Each answers polls from its copy of each
 * line, the server's default (issue 38); "no copies" is "×1" asking Redis
 * for every poll (`BOXOFFICE_LINE_STALENESS_MS=0`), beside the same build.
 */
export const profiles: ReadonlyArray<Profile> = [
  "memory",
  "postgres+redis ×1",
  "postgres+redis ×1, no copies",
  "postgres+redis, 2 workers",
  "postgres+redis ×2"
]

export interface Running {
  readonly urls: ReadonlyArray<string>
  /** The server processes, for sampling their memory. */
  readonly pids: ReadonlyArray<number>
  /** The Redis key prefix of a Postgres + Redis profile. */
  readonly redisKeyPrefix?: string
  readonly stop: () => Promise<void>
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

/** One answer on a connection of its own (with workers, each new connection may reach another process). */
const probe = (url: string) =>
  new Promise<boolean>((resolve) => {
    const request = get(url, { agent: false, timeout: 1_000 }, (response) => {
      response.resume()
      resolve(response.statusCode !== undefined && response.statusCode < 500)
    })
    request.on("timeout", () => request.destroy())
    request.on("error", () => resolve(false))
  })

/**
 * Starts a server and waits until it is ready: `readyAnswers` answers in a row below 500, each on a new
 * connection. With workers, one ready answer can come from one process while another still answers 503
 * while it starts; the primary hands new connections to the workers in turn, so several in a row reach all.
 */
const launch = async (main: string, env: Record<string, string>, healthPath: string, readyAnswers = 1, workers = 0) => {
  const port = await freePort()
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let errors = ""
  child.stderr!.on("data", (chunk) => (errors += chunk))
  // With workers, probing starts once every worker listens: a worker that listens later, while still starting,
  // would answer 503 to connections handed to it after the probes passed.
  let listeningWorkers = 0
  const countListening = (chunk: Buffer) => {
    listeningWorkers += chunk.toString().split(' listening"').length - 1
    if (listeningWorkers >= workers) child.stdout!.off("data", countListening)
  }
  if (workers > 0) child.stdout!.on("data", countListening)
  // The servers' logs, for finding out why an outcome check failed: BOXOFFICE_BENCH_LOG_DIR keeps them.
  const logDir = process.env["BOXOFFICE_BENCH_LOG_DIR"]
  if (logDir === undefined) {
    child.stdout!.resume()
  } else {
    const log = createWriteStream(join(logDir, `${basename(main)}-${port}.log`))
    child.stdout!.pipe(log)
    child.stderr!.pipe(log)
  }
  const url = `http://127.0.0.1:${port}`
  let inARow = 0
  for (let i = 0; i < 300; i++) {
    if (listeningWorkers < workers) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      continue
    }
    inARow = (await probe(`${url}${healthPath}`)) ? inARow + 1 : 0
    if (inARow >= readyAnswers) return { url, child }
    if (inARow === 0) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill("SIGKILL")
  throw new Error(`${main} did not start: ${errors}`)
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

/** The bare node:http server of ceiling.ts; with `workMicros`, spending that much CPU on each request first. */
export const startCeiling = async (workMicros = 0): Promise<Running> => {
  const { url, child } = await launch(ceilingMain, { BENCH_WORK_US: String(workMicros) }, "/")
  return { urls: [url], pids: [child.pid!], stop: () => stopChild(child) }
}

/** The minimal effect/http-api server of floor.ts. */
export const startFloor = async (): Promise<Running> => {
  const { url, child } = await launch(floorMain, {}, "/queue/status")
  return { urls: [url], pids: [child.pid!], stop: () => stopChild(child) }
}

/** Starts a profile; `env` adds or overrides the servers' settings (`BOXOFFICE_REQUEST_METRICS`, say). */
export const startProfile = async (profile: Profile, env: Record<string, string> = {}): Promise<Running> => {
  // Rate limits off: the bench is one address making tens of thousands of users, which the limits exist to stop.
  const common = {
    BOXOFFICE_ADMIN_KEY: adminKey,
    BOXOFFICE_DEMO: "false",
    BOXOFFICE_SECRET: secret,
    BOXOFFICE_RATE_LIMITS: "off",
    ...env
  }
  if (profile === "memory") {
    // Requests are logged as JSON lines to stdout; the benchmark ignores them, as a log shipper would.
    const { url, child } = await launch(serverMain, common, "/health")
    return { urls: [url], pids: [child.pid!], stop: () => stopChild(child) }
  }
  const name = `boxoffice_bench_${process.pid}_${Date.now()}`
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const prefix = `boxoffice:bench:${process.pid}:${Date.now()}:`
  const storeEnv = {
    ...common,
    BOXOFFICE_STORE: "postgres",
    DATABASE_URL: postgresUrl.replace(/\/[^/]*$/, `/${name}`),
    REDIS_URL: redisUrl,
    BOXOFFICE_REDIS_PREFIX: prefix
  }
  const count = profile === "postgres+redis ×2" ? 2 : 1
  if (profile === "postgres+redis, 2 workers") Object.assign(storeEnv, { BOXOFFICE_WORKERS: "2" })
  if (profile === "postgres+redis ×1, no copies") Object.assign(storeEnv, { BOXOFFICE_LINE_STALENESS_MS: "0" })
  const readyAnswers = profile === "postgres+redis, 2 workers" ? 20 : 1
  const first = await launch(
    serverMain,
    storeEnv,
    "/health",
    readyAnswers,
    profile === "postgres+redis, 2 workers" ? 2 : 0
  )
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => launch(serverMain, storeEnv, "/health")))
  const instances = [first, ...rest]
  return {
    urls: instances.map((i) => i.url),
    pids: instances.map((i) => i.child.pid!),
    redisKeyPrefix: prefix,
    stop: async () => {
      await Promise.all(instances.map((i) => stopChild(i.child)))
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
      const redis = new Redis(redisUrl)
      let cursor = "0"
      do {
        const [nextCursor, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000)
        cursor = nextCursor
        if (keys.length > 0) await redis.del(...keys)
      } while (cursor !== "0")
      await redis.quit()
    }
  }
}
