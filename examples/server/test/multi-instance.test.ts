/**
 * Proves that two server processes sharing one Postgres, one Redis and one
 * secret behave as one: join order across both, a seat race across both
 * with exactly 50 winners, exact balances, and tokens that work on either.
 */
import type { ChildProcess } from "node:child_process"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, refusingConnections, spawnServer } from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { adminKey, call, newUser } from "./support/TestServer.ts"

let stores: Stores
const processes: Array<ChildProcess> = []
let instances: Array<string> = []

const startProcess = async (port: number) => {
  const server = spawnServer(stores, port, "multi-instance-secret-of-32-bytes-at-least")
  processes.push(server.child)
  for (let i = 0; i < 100; i++) {
    const healthy = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false
    )
    if (healthy) return server.url
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`instance on ${port} did not start:\n${server.output()}`)
}

beforeAll(async () => {
  stores = await createStores()
  // Both start at once: the migrator's advisory lock lets one migrate while the other waits.
  instances = await Promise.all([startProcess(await freePort()), startProcess(await freePort())])
}, 60_000)

/** Sends SIGTERM and resolves with the exit code. */
const terminate = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    child.once("exit", (code) => resolve(code))
    child.kill("SIGTERM")
  })

afterAll(async () => {
  await Promise.all(processes.map(terminate))
  await stores?.drop()
}, 30_000)

const on = (i: number) => instances[i % 2]!

describe("operator controls across instances", () => {
  it("a pause set on one instance holds on the other for 10 s of joins; resuming there admits in exact join order", async () => {
    const created = await call(on(0), "POST", "/admin/concerts", {
      token: adminKey,
      body: { title: "Paused", dates: [{ startsAt: "2031-01-01T19:00:00Z", price: 1_000 }], queue: { maxActive: 2 } }
    })
    const concertId = created.body.concertId as string
    const patch = (i: number, body: Record<string, unknown>) =>
      call(on(i), "PATCH", `/admin/concerts/${concertId}/queue`, { token: adminKey, body })
    assert.strictEqual((await patch(1, { paused: true })).body.paused, true)
    // Joins keep arriving on both instances for 10 s; nobody is admitted.
    const joined: Array<{ accessToken: string; queueToken: string; via: number }> = []
    const until = Date.now() + 10_000
    for (let i = 0; Date.now() < until; i++) {
      const user = await newUser(on(i))
      const answer = await call(on(i), "POST", `/concerts/${concertId}/queue`, { token: user.accessToken })
      assert.deepStrictEqual([answer.body.status, answer.body.position], ["waiting", i + 1])
      joined.push({ accessToken: user.accessToken, queueToken: answer.body.queueToken, via: i })
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    assert.isAtLeast(joined.length, 10)
    const report = await call(on(0), "GET", `/admin/concerts/${concertId}`, { token: adminKey })
    assert.deepStrictEqual(report.body.queue, { pending: 0, waiting: joined.length, active: 0, admittedLastMinute: 0 })

    // Resumed on instance 0: the first two in join order are active at once, seen from instance 1.
    assert.strictEqual((await patch(0, { paused: false })).body.paused, false)
    const statuses = await Promise.all(
      joined.map((user, i) =>
        call(on(i + 1), "GET", "/queue/status", { token: user.accessToken, queueToken: user.queueToken })
      )
    )
    assert.deepStrictEqual(
      statuses.map((s) => [s.body.status, s.body.position]),
      joined.map((_, i) => (i < 2 ? ["active", null] : ["waiting", i - 1]))
    )
    // Raising maxActive on instance 1 lets everyone else in at once, seen from instance 0.
    assert.strictEqual((await patch(1, { maxActive: joined.length })).body.maxActive, joined.length)
    const after = await Promise.all(
      joined.map((user) =>
        call(on(0), "GET", "/queue/status", { token: user.accessToken, queueToken: user.queueToken })
      )
    )
    assert.isTrue(
      after.every((s) => s.body.status === "active"),
      JSON.stringify(after.map((s) => s.body))
    )
  }, 60_000)
})

/** Runs `task` over `items` with at most `concurrency` at a time, in order of the answers' indexes. */
const inBatches = async <A, B>(
  items: ReadonlyArray<A>,
  concurrency: number,
  task: (item: A, i: number) => Promise<B>
) => {
  const answers: Array<B> = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++
        answers[i] = await task(items[i]!, i)
      }
    })
  )
  return answers
}

describe("fair start across instances", () => {
  it("1,000 users join before the opening on both; one draw gives places 1..1,000 once each, later joins stand behind", async () => {
    const users = await inBatches(Array.from({ length: 1_020 }), 32, (_, i) => newUser(on(i)))
    const opensAtMs = Date.now() + 15_000
    const created = await call(on(0), "POST", "/admin/concerts", {
      token: adminKey,
      body: {
        title: "Fair start",
        opensAt: new Date(opensAtMs).toISOString(),
        dates: [{ startsAt: "2031-03-01T19:00:00Z", price: 1_000 }],
        queue: { maxActive: 10 }
      }
    })
    const concertId = created.body.concertId as string
    // Paused before the opening, so the draw admits nobody and every drawn place stays visible.
    await call(on(1), "PATCH", `/admin/concerts/${concertId}/queue`, { token: adminKey, body: { paused: true } })
    const early = users.slice(0, 1_000)
    const joins = await inBatches(early, 32, (user, i) =>
      call(on(i), "POST", `/concerts/${concertId}/queue`, { token: user.accessToken })
    )
    assert.isBelow(Date.now(), opensAtMs, "the joins took longer than the time before the opening")
    assert.isTrue(joins.every((j) => j.status === 201 && j.body.status === "pending" && j.body.position === null))
    const report = await call(on(1), "GET", `/admin/concerts/${concertId}`, { token: adminKey })
    assert.deepStrictEqual(report.body.queue, { pending: 1_000, waiting: 0, active: 0, admittedLastMinute: 0 })

    await new Promise((resolve) => setTimeout(resolve, opensAtMs - Date.now() + 50))
    // Everyone calls at the opening at once, through both instances: the first of them draws.
    const statusOf = (i: number, via: number) =>
      call(on(via), "GET", "/queue/status", { token: early[i]!.accessToken, queueToken: joins[i]!.body.queueToken })
    const atOpening = await Promise.all(early.map((_, i) => statusOf(i, i)))
    const places = atOpening.map((s) => s.body.position as number)
    assert.isTrue(atOpening.every((s) => s.body.status === "waiting"))
    assert.deepStrictEqual(
      [...places].sort((a, b) => a - b),
      Array.from({ length: 1_000 }, (_, i) => i + 1)
    )
    // The draw happened once: each place is the same when asked again, through the other instance.
    const again = await inBatches(early, 64, (_, i) => statusOf(i, i + 1))
    assert.deepStrictEqual(
      again.map((s) => s.body.position),
      places
    )
    // Joining early bought no place: the drawn order is not the join order.
    const inJoinOrder = places.filter((place, i) => place === i + 1).length
    assert.isBelow(inJoinOrder, 20)
    const late = await Promise.all(
      users
        .slice(1_000)
        .map((user, i) => call(on(i), "POST", `/concerts/${concertId}/queue`, { token: user.accessToken }))
    )
    assert.deepStrictEqual(
      late.map((j) => j.body.position).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => 1_001 + i)
    )
    const after = await call(on(0), "GET", `/admin/concerts/${concertId}`, { token: adminKey })
    assert.deepStrictEqual(after.body.queue, { pending: 0, waiting: 1_020, active: 0, admittedLastMinute: 0 })
    console.log(
      `[multi-instance] fair start: 1,000 drawn across 2 processes, ${inJoinOrder} kept their join rank by chance`
    )
  }, 90_000)
})

describe("two server processes, one Postgres, one Redis, one secret", () => {
  it("500 joins spread across both follow join order; tokens work on either instance", async () => {
    const concert = await call(on(0), "POST", "/admin/concerts", {
      token: adminKey,
      body: { title: "Order", dates: [{ startsAt: "2031-01-01T19:00:00Z", price: 1_000 }], queue: { maxActive: 1 } }
    })
    const blocker = await newUser(on(0))
    await call(on(0), "POST", `/concerts/${concert.body.concertId}/queue`, { token: blocker.accessToken })
    const users = await Promise.all(Array.from({ length: 500 }, (_, i) => newUser(on(i))))
    const positions: Array<number> = []
    for (const [i, user] of users.entries()) {
      const joined = await call(on(i), "POST", `/concerts/${concert.body.concertId}/queue`, { token: user.accessToken })
      positions.push(joined.body.position)
      // The token one instance issued works on the other.
      if (i % 50 === 0) {
        const status = await call(on(i + 1), "GET", "/queue/status", {
          token: user.accessToken,
          queueToken: joined.body.queueToken
        })
        assert.strictEqual(status.body.position, i + 1)
      }
    }
    assert.deepStrictEqual(
      positions,
      Array.from({ length: 500 }, (_, i) => i + 1)
    )
  }, 60_000)

  it("500 admitted users race for the 50 seats of one date across both: exactly 50 held, exact balances", async () => {
    const concert = await call(on(0), "POST", "/admin/concerts", {
      token: adminKey,
      body: { title: "Race", dates: [{ startsAt: "2031-02-01T19:00:00Z", price: 10_000 }], queue: { maxActive: 1_000 } }
    })
    const dateId = concert.body.dates[0].dateId
    const users = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const user = await newUser(on(i))
        const joined = await call(on(i + 1), "POST", `/concerts/${concert.body.concertId}/queue`, {
          token: user.accessToken
        })
        return { ...user, queueToken: joined.body.queueToken as string, status: joined.body.status as string }
      })
    )
    assert.isTrue(users.every((u) => u.status === "active"))
    const started = performance.now()
    const holds = await Promise.all(
      users.map((user, i) =>
        call(on(i), "POST", `/dates/${dateId}/holds`, {
          token: user.accessToken,
          queueToken: user.queueToken,
          body: { seatNumbers: [(i % 50) + 1] }
        })
      )
    )
    const raceMs = performance.now() - started
    const won = holds.flatMap((answer, i) => (answer.status === 201 ? [{ user: users[i]!, hold: answer.body }] : []))
    assert.strictEqual(won.length, 50)
    assert.isTrue(
      holds.filter((a) => a.status !== 201).every((a) => a.status === 409 && a.body.code === "seat-unavailable")
    )
    const seats = await call(on(1), "GET", `/dates/${dateId}/seats`, {
      token: users[0]!.accessToken,
      queueToken: users[0]!.queueToken
    })
    assert.strictEqual(seats.body.filter((s: { status: string }) => s.status === "held").length, 50)

    // Every winner charges 25,000 and pays 10,000, on alternating instances.
    const receipts = await Promise.all(
      won.map(async ({ user, hold }, i) => {
        await call(on(i), "POST", "/wallet/charges", {
          token: user.accessToken,
          body: { amount: 25_000 },
          idempotencyKey: `c-${i}`
        })
        return call(on(i + 1), "POST", `/holds/${hold.holdId}/payment`, {
          token: user.accessToken,
          queueToken: user.queueToken
        })
      })
    )
    assert.isTrue(receipts.every((r) => r.status === 201 && r.body.balance === 15_000))
    const balances = await Promise.all(
      won.map(({ user }, i) => call(on(i), "GET", "/wallet", { token: user.accessToken }))
    )
    assert.isTrue(balances.every((b) => b.body.balance === 15_000))
    const [{ sold, debited }] = await stores.sql<Array<{ sold: number; debited: number }>>`
      select (select count(*)::int from sales s join concert_dates d using (date_id) where d.date_id = ${dateId}) as sold,
             (select coalesce(sum(amount_krw), 0)::int from payments where date_id = ${dateId}) as debited`
    assert.strictEqual(sold, 50)
    assert.strictEqual(debited, 500_000)
    console.log(
      `[multi-instance] 500 holds across 2 processes in ${raceMs.toFixed(0)} ms: 50 won, 450 seat-unavailable; 50 payments, 15,000 left each`
    )
  }, 60_000)

  it("SIGTERM: a request in flight finishes, then each instance exits cleanly", async () => {
    const user = await newUser(on(0))
    await call(on(0), "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 1_000 } })
    // Hold the wallet row so the next charge is provably in flight when the signal comes.
    let release!: () => void
    let locked!: () => void
    const isLocked = new Promise<void>((resolve) => (locked = resolve))
    const holding = stores.sql.begin(async (tx) => {
      await tx`select 1 from wallets where user_id = ${user.userId} for update`
      locked()
      await new Promise<void>((resolve) => (release = resolve))
    })
    await isLocked
    const inFlight = call(on(0), "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 2_000 } })
    // In flight: the charge waits on the wallet row's lock.
    for (;;) {
      const [{ waiting }] = await stores.sql<Array<{ waiting: number }>>`
        select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`
      if (waiting > 0) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const exits = Promise.all(processes.map(terminate))
    // Both drains have begun once neither instance takes new connections.
    await Promise.all([0, 1].map((i) => refusingConnections(on(i))))
    release()
    await holding
    const answer = await inFlight
    assert.strictEqual(answer.status, 200)
    assert.strictEqual(answer.body.balance, 3_000)
    assert.deepStrictEqual(await exits, [0, 0])
  }, 30_000)
})
