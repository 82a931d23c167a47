/**
 * Proves the HTTP contract on the production profile, Postgres for the
 * stores and Redis for the queue, over a real socket: the whole journey,
 * `idempotency-in-flight`, and `unavailable` while the database is cut off
 * (with recovery and no restart).
 */
import { startTcpProxy } from "@boxoffice/testing"
import { Option, Redacted } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createStores, redisUrl, type Stores } from "./support/Stores.ts"
import {
  admittedUser,
  call,
  isProblem,
  newConcert,
  newUser,
  type RunningServer,
  startServer,
  startServerOn
} from "./support/TestServer.ts"

let stores: Stores
let server: RunningServer
let base: string
beforeAll(async () => {
  stores = await createStores()
  server = await startServerOn(stores)
  base = server.url
}, 60_000)
afterAll(async () => {
  await server?.close()
  await stores?.drop()
})

describe("HTTP on Postgres + Redis", () => {
  it("migrates at start and runs the whole journey; the next waiter gets in", async () => {
    const [{ count }] = await stores.sql<Array<{ count: number }>>`select count(*)::int as count from boxoffice_clock`
    assert.strictEqual(count, 1)
    const concert = await newConcert(base, { queue: { maxActive: 1 } })
    const first = await admittedUser(base, concert.concertId)
    const second = await newUser(base)
    const waiting = await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: second.accessToken })
    assert.strictEqual(waiting.body.status, "waiting")
    assert.strictEqual(waiting.body.position, 1)

    const me = { token: first.accessToken, queueToken: first.queueToken }
    const dateId = concert.dates[0]!.dateId
    const hold = await call(base, "POST", `/dates/${dateId}/holds`, { ...me, body: { seatNumbers: [20, 21] } })
    assert.strictEqual(hold.status, 201)
    assert.strictEqual(
      (await call(base, "POST", "/wallet/charges", { ...me, body: { amount: 25_000 } })).body.balance,
      25_000
    )
    const paid = await call(base, "POST", `/holds/${hold.body.holdId}/payment`, { ...me, idempotencyKey: "journey" })
    assert.strictEqual(paid.status, 201)
    assert.strictEqual(paid.body.balance, 5_000)
    assert.deepStrictEqual((await call(base, "GET", "/wallet", me)).body, { balance: 5_000, available: 5_000 })
    assert.strictEqual((await call(base, "GET", "/queue/status", me)).body.status, "expired")

    const next = { token: second.accessToken, queueToken: waiting.body.queueToken }
    assert.strictEqual((await call(base, "GET", "/queue/status", next)).body.status, "active")
    const seats = await call(base, "GET", `/dates/${dateId}/seats`, next)
    assert.deepStrictEqual(
      seats.body
        .filter((s: { status: string }) => s.status === "sold")
        .map((s: { seatNumber: number }) => s.seatNumber),
      [20, 21]
    )
    const [{ sold }] = await stores.sql<Array<{ sold: number }>>`select count(*)::int as sold from sales`
    assert.strictEqual(sold, 2)
  })

  it("the same key while the first request still runs: idempotency-in-flight", async () => {
    const user = await newUser(base)
    // A first request still running holds its key's claim until its transaction ends.
    let finish = () => {}
    const finished = new Promise<void>((resolve) => (finish = resolve))
    let claimed = () => {}
    const isClaimed = new Promise<void>((resolve) => (claimed = resolve))
    const first = stores.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(boxoffice_idempotency_lock_key(${user.userId}, ${"busy"}))`
      claimed()
      await finished
    })
    await isClaimed
    const answer = await call(base, "POST", "/wallet/charges", {
      token: user.accessToken,
      idempotencyKey: "busy",
      body: { amount: 1_000 }
    })
    assert.isTrue(isProblem(answer, 409, "idempotency-in-flight"), JSON.stringify(answer))
    assert.deepStrictEqual((await call(base, "GET", "/wallet", { token: user.accessToken })).body, {
      balance: 0,
      available: 0
    })
    finish()
    await first
    const retried = await call(base, "POST", "/wallet/charges", {
      token: user.accessToken,
      idempotencyKey: "busy",
      body: { amount: 1_000 }
    })
    assert.strictEqual(retried.status, 200, JSON.stringify(retried))
    assert.deepStrictEqual((await call(base, "GET", "/wallet", { token: user.accessToken })).body, {
      balance: 1_000,
      available: 1_000
    })
  })

  for (const cutOff of ["postgres", "redis"] as const) {
    it(`/ready answers 503 while ${cutOff} is cut off, and 200 again once it is back; /health stays 200`, async () => {
      const proxy = await startTcpProxy(cutOff === "postgres" ? 5432 : 6379)
      const fragile = await startServer({
        store: "postgres",
        databaseUrl: Option.some(
          Redacted.make(
            cutOff === "postgres" ? stores.databaseUrl.replace(":5432/", `:${proxy.port}/`) : stores.databaseUrl
          )
        ),
        redisUrl: Option.some(
          Redacted.make(cutOff === "redis" ? redisUrl.replace(":6379", `:${proxy.port}`) : redisUrl)
        ),
        redisKeyPrefix: stores.redisKeyPrefix
      })
      const readyWithin = async (status: number) => {
        let answer = await call(fragile.url, "GET", "/ready")
        for (let i = 0; i < 50 && answer.status !== status; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          answer = await call(fragile.url, "GET", "/ready")
        }
        return answer
      }
      try {
        assert.deepStrictEqual((await readyWithin(200)).body, { status: "ready" })
        await proxy.cut()
        const down = await call(fragile.url, "GET", "/ready")
        assert.isTrue(isProblem(down, 503, "unavailable"), JSON.stringify(down))
        assert.deepStrictEqual((await call(fragile.url, "GET", "/health")).body, { status: "ok" })
        await proxy.restore()
        assert.deepStrictEqual((await readyWithin(200)).body, { status: "ready" })
      } finally {
        await fragile.close()
        await proxy.close()
      }
    }, 60_000)
  }

  it("with the database cut off: 503 unavailable, and served again once it is back", async () => {
    const proxy = await startTcpProxy(5432)
    const viaProxy = stores.databaseUrl.replace(":5432/", `:${proxy.port}/`)
    const fragile = await startServer({
      store: "postgres",
      databaseUrl: Option.some(Redacted.make(viaProxy)),
      redisUrl: Option.some(Redacted.make(redisUrl)),
      redisKeyPrefix: stores.redisKeyPrefix
    })
    try {
      const user = await newUser(fragile.url)
      assert.strictEqual((await call(fragile.url, "GET", "/wallet", { token: user.accessToken })).status, 200)
      await proxy.cut()
      const down = await call(fragile.url, "GET", "/wallet", { token: user.accessToken })
      assert.isTrue(isProblem(down, 503, "unavailable"), JSON.stringify(down))
      const charge = await call(fragile.url, "POST", "/wallet/charges", {
        token: user.accessToken,
        body: { amount: 1_000 }
      })
      assert.isTrue(isProblem(charge, 503, "unavailable"))
      await proxy.restore()
      let back = await call(fragile.url, "GET", "/wallet", { token: user.accessToken })
      for (let i = 0; i < 30 && back.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        back = await call(fragile.url, "GET", "/wallet", { token: user.accessToken })
      }
      assert.deepStrictEqual(back.body, { balance: 0, available: 0 })
    } finally {
      await fragile.close()
      await proxy.close()
    }
  }, 60_000)
})
