/**
 * The example server with its queue on a real Redis Cluster
 * (`REDIS_CLUSTER_NODES`, three masters started for this file) and its
 * stores on Postgres: joins line up in order and a freed slot admits the
 * next waiter. Naming both REDIS_URL and REDIS_CLUSTER_NODES is refused.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { startRedisCluster, type TestRedisCluster } from "@boxoffice/testing"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, runUntilExit } from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { adminKey, call, newConcert, newUser } from "./support/TestServer.ts"

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url))
let cluster: TestRedisCluster
let stores: Stores
let server: ChildProcess | undefined
let url = ""

/** The server's environment without the machine's own Redis settings. */
const env = (extra: Record<string, string>) => {
  const { REDIS_URL: _url, REDIS_CLUSTER_NODES: _nodes, ...rest } = process.env
  return { ...rest, ...extra }
}

beforeAll(async () => {
  cluster = await startRedisCluster()
  stores = await createStores()
  const port = await freePort()
  let output = ""
  server = spawn(process.execPath, [main], {
    env: env({
      PORT: String(port),
      BOXOFFICE_STORE: "postgres",
      DATABASE_URL: stores.databaseUrl,
      REDIS_CLUSTER_NODES: cluster.nodeUrls.join(","),
      BOXOFFICE_REDIS_PREFIX: stores.redisKeyPrefix,
      BOXOFFICE_SECRET: "cluster-secret-of-at-least-32-bytes!!",
      BOXOFFICE_ADMIN_KEY: adminKey,
      BOXOFFICE_DEMO: "false"
    }),
    stdio: ["ignore", "pipe", "pipe"]
  })
  server.stdout!.on("data", (chunk) => (output += chunk))
  server.stderr!.on("data", (chunk) => (output += chunk))
  url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 150; i++) {
    if (
      await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false
      )
    )
      return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the server did not become ready on the cluster:\n${output}`)
}, 90_000)

afterAll(async () => {
  if (server !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once("exit", resolve))
    server.kill("SIGTERM")
    await exited
  }
  await stores?.drop()
  await cluster?.stop()
}, 30_000)

describe("the example server on a Redis Cluster", () => {
  it("admits in join order and hands a freed slot to the next waiter", async () => {
    const concert = await newConcert(url, { queue: { maxActive: 1 } })
    const users = await Promise.all([0, 1, 2].map(() => newUser(url)))
    const joined = []
    for (const user of users) {
      joined.push((await call(url, "POST", `/concerts/${concert.concertId}/queue`, { token: user.accessToken })).body)
    }
    assert.deepStrictEqual(
      joined.map((j) => [j.status, j.position]),
      [
        ["active", null],
        ["waiting", 1],
        ["waiting", 2]
      ]
    )
    const left = await call(url, "DELETE", "/queue", { token: users[0]!.accessToken, queueToken: joined[0].queueToken })
    assert.strictEqual(left.status, 204)
    const next = await call(url, "GET", "/queue/status", {
      token: users[1]!.accessToken,
      queueToken: joined[1].queueToken
    })
    assert.strictEqual(next.body.status, "active")
    const last = await call(url, "GET", "/queue/status", {
      token: users[2]!.accessToken,
      queueToken: joined[2].queueToken
    })
    assert.deepStrictEqual([last.body.status, last.body.position], ["waiting", 1])
  })

  it("refuses to start with both REDIS_URL and REDIS_CLUSTER_NODES", async () => {
    const { code, output } = await runUntilExit(
      env({
        PORT: String(await freePort()),
        REDIS_URL: "redis://127.0.0.1:6379",
        REDIS_CLUSTER_NODES: cluster.nodeUrls.join(",")
      })
    )
    assert.notStrictEqual(code, 0)
    assert.include(output, "not both")
  })
})
