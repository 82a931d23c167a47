/**
 * A real Redis Cluster for a test: three masters on free local ports, each
 * a `redis-server` child with cluster mode on, joined by
 * `redis-cli --cluster create`, and stopped (with their files) afterwards.
 * Nothing outside what it started is touched. Needs `redis-server` and
 * `redis-cli` on the PATH.
 *
 * @since 0.2.0
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

/** A started cluster. @category models */
export interface TestRedisCluster {
  /** `redis://127.0.0.1:<port>` of each master. */
  readonly nodeUrls: ReadonlyArray<string>
  /** The masters' ports. */
  readonly ports: ReadonlyArray<number>
  readonly stop: () => Promise<void>
}

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer()
    probe.once("error", () => resolve(false))
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)))
  })

/** A port that is free, with its cluster bus port (+10000) free too. */
const freeClusterPort = async (taken: Set<number>) => {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    if (taken.has(port) || taken.has(port + 10_000)) continue
    if (await isFree(port) && await isFree(port + 10_000)) {
      taken.add(port)
      taken.add(port + 10_000)
      return port
    }
  }
}

const clusterReady = async (port: number) => {
  const { stdout } = await run("redis-cli", ["-p", String(port), "cluster", "info"])
  return stdout.includes("cluster_state:ok")
}

/**
 * Starts a three-master cluster and waits until every node reports it ready.
 *
 * @example
 * ```ts
 * import { startRedisCluster } from "@boxoffice/testing"
 * const cluster = await startRedisCluster()
 * cluster.nodeUrls // ["redis://127.0.0.1:21234", ...]
 * await cluster.stop()
 * ```
 * @category outages
 */
export const startRedisCluster = async (): Promise<TestRedisCluster> => {
  const dir = mkdtempSync(join(tmpdir(), "boxoffice-cluster-"))
  const taken = new Set<number>()
  const ports = [await freeClusterPort(taken), await freeClusterPort(taken), await freeClusterPort(taken)]
  const servers: Array<ChildProcess> = ports.map((port) =>
    spawn("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
      "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--dir", dir,
      "--save", "", "--appendonly", "no"
    ], { stdio: "ignore" }))
  const stop = async () => {
    await Promise.all(servers.map((server) =>
      new Promise<void>((resolve) => {
        if (server.exitCode !== null) return resolve()
        server.once("exit", () => resolve())
        server.kill("SIGTERM")
      })))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (const port of ports) {
      for (let i = 0; !(await run("redis-cli", ["-p", String(port), "ping"]).then((r) => r.stdout.includes("PONG"), () => false)); i++) {
        if (i > 100) throw new Error(`redis-server on ${port} did not start`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"])
    for (const port of ports) {
      for (let i = 0; !(await clusterReady(port)); i++) {
        if (i > 200) throw new Error(`the cluster did not become ready on ${port}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { nodeUrls: ports.map((port) => `redis://127.0.0.1:${port}`), ports, stop }
}
