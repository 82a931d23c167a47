/**
 * The server on Postgres + Redis when Redis stalls or goes away, through a
 * proxy in front of Redis:
 * - a poll waiting on Redis when SIGTERM comes is answered before the
 *   process exits cleanly: the test waits until the poll's script is held at
 *   the proxy, then until the server refuses new connections (its drain has
 *   begun), and only then lets Redis answer;
 * - a poll that finds Redis gone is answered 503 `unavailable`, and the
 *   access log writes it at ERROR.
 */
import { startTcpProxy, type TcpProxy } from "@boxoffice/testing"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, refusingConnections, spawnServer } from "./support/ServerProcess.ts"
import { createStores, redisUrl, type Stores } from "./support/Stores.ts"
import { admittedUser, call, newConcert } from "./support/TestServer.ts"

describe("the server when Redis stalls or goes away", () => {
  let stores: Stores
  let proxy: TcpProxy
  beforeAll(async () => {
    stores = await createStores()
    proxy = await startTcpProxy(Number(new URL(redisUrl).port || 6379), new URL(redisUrl).hostname)
  }, 30_000)
  afterAll(async () => {
    await proxy?.close()
    await stores?.drop()
  })

  const started = async () => {
    const server = spawnServer(stores, await freePort(), "redis-outage-secret-of-at-least-32-bytes", {
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`
    })
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`${server.url}/ready`).then(
          (r) => r.ok,
          () => false
        )
      )
        return server
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`the server did not start: ${server.output()}`)
  }

  it("answers a poll in flight on SIGTERM before exiting cleanly", async () => {
    const server = await started()
    const concert = await newConcert(server.url)
    const user = await admittedUser(server.url, concert.concertId)
    proxy.hold()
    const inFlight = call(server.url, "GET", "/queue/status", { token: user.accessToken, queueToken: user.queueToken })
    await proxy.holding()
    const exited = new Promise<number | null>((resolve) => server.child.once("exit", resolve))
    server.child.kill("SIGTERM")
    await refusingConnections(server.url)
    proxy.release()
    const answer = await inFlight
    assert.strictEqual(answer.status, 200)
    assert.strictEqual(answer.body.status, "active")
    assert.strictEqual(await exited, 0)
  }, 30_000)

  it("answers 503 when Redis is gone, and the access log says so at ERROR", async () => {
    const server = await started()
    const concert = await newConcert(server.url)
    const user = await admittedUser(server.url, concert.concertId)
    await proxy.cut()
    try {
      const answer = await call(server.url, "GET", "/queue/status", {
        token: user.accessToken,
        queueToken: user.queueToken
      })
      assert.strictEqual(answer.status, 503)
      assert.strictEqual(answer.body.code, "unavailable")
      // The line is written before the answer, but reaches this process through a pipe of its own.
      const lineLogged = () =>
        server
          .output()
          .split("\n")
          .filter((line) => line.startsWith("{"))
          .map((line) => JSON.parse(line))
          .find((l) => l.message === "Sent HTTP response" && l.annotations?.["http.url"] === "/queue/status")
      for (let i = 0; i < 50 && lineLogged() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      const line = lineLogged()
      assert.isDefined(line, server.output())
      assert.strictEqual(line.level, "ERROR")
      assert.strictEqual(line.annotations["http.status"], 503)
    } finally {
      await proxy.restore()
      const exited = new Promise((resolve) => server.child.once("exit", resolve))
      server.child.kill("SIGTERM")
      await exited
    }
  }, 30_000)
})
