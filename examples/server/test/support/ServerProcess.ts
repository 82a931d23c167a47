/**
 * The example server as a child process on Postgres + Redis, as it is
 * deployed: for tests that need several instances or its startup.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { connect, createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { redisUrl, type Stores } from "./Stores.ts"
import { adminKey } from "./TestServer.ts"

const main = fileURLToPath(new URL("../../dist/main.js", import.meta.url))

/** A port the OS says is free now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

/**
 * Resolves once the server at `url` refuses new connections: it has closed its listening socket, the
 * first step of a drain. It is asked every 20 ms.
 */
export const refusingConnections = async (url: string): Promise<void> => {
  const { hostname, port } = new URL(url)
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), hostname)
      socket.once("connect", () => {
        socket.destroy()
        resolve(false)
      })
      socket.once("error", () => resolve(true))
    })
    if (refused) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export interface ServerProcess {
  readonly child: ChildProcess
  readonly url: string
  /** Everything it printed so far. */
  readonly output: () => string
}

/** Spawns the server on `port` over `stores`; it is not awaited to be ready. */
export const spawnServer = (
  stores: Stores,
  port: number,
  secret: string,
  extraEnv: Record<string, string> = {}
): ServerProcess => {
  const child = spawn(process.execPath, [main], {
    env: {
      // Tests make many users from one address; the rate-limit tests turn limits on themselves.
      BOXOFFICE_RATE_LIMITS: "off",
      ...extraEnv,
      ...process.env,
      PORT: String(port),
      BOXOFFICE_STORE: "postgres",
      DATABASE_URL: stores.databaseUrl,
      REDIS_URL: redisUrl,
      BOXOFFICE_REDIS_PREFIX: stores.redisKeyPrefix,
      BOXOFFICE_SECRET: secret,
      BOXOFFICE_ADMIN_KEY: adminKey,
      BOXOFFICE_DEMO: "false",
      ...extraEnv
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  return { child, url: `http://127.0.0.1:${port}`, output: () => output }
}

/**
 * Runs the server with exactly `env` until it exits, for configurations it
 * must refuse: answers its exit code and everything it printed.
 */
export const runUntilExit = (env: Record<string, string | undefined>) =>
  new Promise<{ readonly code: number | null; readonly output: string }>((resolve) => {
    const child = spawn(process.execPath, [main], { env, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout!.on("data", (chunk) => (output += chunk))
    child.stderr!.on("data", (chunk) => (output += chunk))
    child.on("exit", (code) => resolve({ code, output }))
  })

/** Resolves once the server answers `/ready` (or throws, with its output, after 10 s). */
export const readyServer = async (server: ServerProcess): Promise<ServerProcess> => {
  for (let attempt = 0; attempt < 100; attempt++) {
    const ready = await fetch(`${server.url}/ready`).then(
      (response) => response.ok,
      () => false
    )
    if (ready) return server
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the server did not get ready:\n${server.output()}`)
}

/** Sends SIGTERM and resolves once the process has exited. */
export const stopServer = (server: ServerProcess): Promise<void> =>
  new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve()
    server.child.once("exit", () => resolve())
    server.child.kill("SIGTERM")
  })
