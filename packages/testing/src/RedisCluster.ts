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
  /** Kills one master at once (SIGKILL): its slots go dark, as in a crash. */
  readonly crashNode: (port: number) => Promise<void>
  /** Starts a crashed master again with its cluster config; it comes back empty (nothing is saved). */
  readonly restartNode: (port: number) => Promise<void>
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
    if ((await isFree(port)) && (await isFree(port + 10_000))) {
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
  const startNode = (port: number) =>
    spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        // A dead master is noticed within a second, and the other masters keep serving their slots
        // (a queue lives on one slot: one node's loss need not stop every sale).
        "--cluster-node-timeout",
        "1000",
        "--cluster-require-full-coverage",
        "no"
      ],
      { stdio: "ignore" }
    )
  const servers: Array<ChildProcess> = ports.map(startNode)
  const exited = (server: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) return resolve()
      server.once("exit", () => resolve())
    })
  const waitUntil = async (check: () => Promise<boolean>, what: string) => {
    for (let i = 0; !(await check()); i++) {
      if (i > 300) throw new Error(what)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const answers = (port: number) =>
    run("redis-cli", ["-p", String(port), "ping"]).then(
      (r) => r.stdout.includes("PONG"),
      () => false
    )
  const stop = async () => {
    await Promise.all(
      servers.map((server) => {
        const done = exited(server)
        server.kill("SIGTERM")
        return done
      })
    )
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (const port of ports) await waitUntil(() => answers(port), `redis-server on ${port} did not start`)
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes"
    ])
    for (const port of ports) await waitUntil(() => clusterReady(port), `the cluster did not become ready on ${port}`)
  } catch (error) {
    await stop()
    throw error
  }
  return {
    nodeUrls: ports.map((port) => `redis://127.0.0.1:${port}`),
    ports,
    crashNode: async (port) => {
      const server = servers[ports.indexOf(port)]!
      const done = exited(server)
      server.kill("SIGKILL")
      await done
    },
    restartNode: async (port) => {
      servers[ports.indexOf(port)] = startNode(port)
      await waitUntil(() => answers(port), `redis-server on ${port} did not restart`)
      for (const each of ports) await waitUntil(() => clusterReady(each), `the cluster did not recover on ${each}`)
    },
    stop
  }
}
