/**
 * Proves that faults leave no partial state: a backend killed in the middle
 * of any write function (payment, charge, hold, release, concert creation), the database cut off and restored, holds expiring by the
 * database's real clock with no sweeper, and sweepers racing each other.
 */
import {
  Booking,
  ChargeId as ChargeIdSchema,
  newId,
  HoldId,
  PaymentId,
  Payments,
  QueueTokenId,
  QueueTokenSigner,
  SeatInventory,
  UserId,
  Wallet
} from "@boxoffice/core"
import { MemoryQueue } from "@boxoffice/memory"
import {
  defaultSchema,
  PgDatabase,
  PostgresStores,
  sweepExpiredHolds,
  sweepIdempotencyRecords
} from "@boxoffice/postgres"
import { DateTime, Effect, Layer, ManagedRuntime, Redacted, Result } from "effect"
import postgres from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { startTcpProxy } from "@boxoffice/testing"
import { createTestDatabase, type TestDatabase } from "./support/TestDatabase.ts"

/** Straight through the port, these holds are made well inside an active window. */
const activeAllDay = DateTime.makeUnsafe("2100-01-01T00:00:00Z")

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
}, 60_000)
afterAll(async () => {
  await database?.drop()
})

const instance = (pool: ReturnType<TestDatabase["pool"]>) =>
  ManagedRuntime.make(
    Booking.layer.pipe(
      Layer.provideMerge(PostgresStores.layerFromClient(pool)),
      Layer.provideMerge(MemoryQueue.layer),
      Layer.provideMerge(QueueTokenSigner.layerHmac(Redacted.make("faults-secret-of-32-bytes-or-more")))
    )
  )

/** A user admitted to a fresh concert, holding two seats, with money in the wallet. */
const buyerWithHold = Effect.gen(function* () {
  const booking = yield* Booking
  const concert = yield* booking.createConcert({
    title: "Faults",
    dates: [{ startsAt: DateTime.makeUnsafe(Date.now() + 30 * 86_400_000), priceKrw: 10_000 }]
  })
  const userId = yield* newId(UserId)
  const ticket = yield* booking.joinQueue(userId, concert.concertId)
  yield* booking.charge(userId, 50_000, null)
  const hold = yield* booking.hold(userId, ticket.queueToken, concert.dates[0]!.dateId, [3, 4])
  return { userId, token: ticket.queueToken, hold }
})

/** Takes `lock` in a transaction of another session and keeps it until the returned release is called. */
const holdLock = async (url: string, lock: (tx: postgres.TransactionSql) => Promise<unknown>) => {
  const blocker = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: defaultSchema } })
  let release!: () => void
  let locked!: () => void
  const isLocked = new Promise<void>((resolve) => (locked = resolve))
  const blocking = blocker.begin(async (tx) => {
    await lock(tx)
    locked()
    await new Promise<void>((resolve) => (release = resolve))
  })
  await isLocked
  return async () => {
    release()
    await blocking
    await blocker.end()
  }
}

/** Holds `userId`'s wallet row from another session until the returned release is called. */
const lockWallet = (url: string, userId: string) =>
  holdLock(url, (tx) => tx`select 1 from wallets where user_id = ${userId} for update`)

/** A pool whose connections carry these server-side bounds. */
const poolWithTimeouts = (timeouts: { readonly statementTimeoutMs: number; readonly lockTimeoutMs: number }) =>
  postgres(Redacted.value(database.url), {
    max: 5,
    onnotice: () => {},
    connection: PgDatabase.connectionParameters(timeouts)
  })

/** Waits until a backend of `database` waits on a lock in a statement matching `pattern`. */
const waitForLockWait = async (observer: postgres.Sql, databaseName: string, pattern: string) => {
  for (let i = 0; i < 300; i++) {
    const [row] = await observer<Array<{ pid: number }>>`
      select pid from pg_stat_activity
      where datname = ${databaseName} and wait_event_type = 'Lock' and query ilike ${pattern}`
    if (row !== undefined) return row.pid
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`no statement like ${pattern} waited on a lock`)
}

/** A call whose backend was terminated while it ran: the server ended it, so nothing happened. */
const assertTerminated = (result: Result.Result<unknown, { readonly _tag: string }>) => {
  assert.isTrue(Result.isFailure(result) && result.failure._tag === "Unavailable", JSON.stringify(result))
  const cause = (result as Result.Failure<unknown, { readonly cause?: { readonly code?: string } }>).failure.cause
  assert.strictEqual(cause?.code, "57P01")
}

describe("faults", () => {
  it("a backend killed mid-payment: unavailable, nothing left behind; a retry with the same key succeeds once", async () => {
    const runtime = instance(database.pool(20))
    const observer = database.pool(2)
    try {
      const { userId, token, hold } = await runtime.runPromise(buyerWithHold)
      // Hold the buyer's wallet row, so the payment blocks inside its transaction.
      const releaseWallet = await lockWallet(Redacted.value(database.url), userId)
      const payment = runtime.runPromise(
        Effect.result(Booking.use((b) => b.pay(userId, token, hold.holdId, "pay-once")))
      )
      const victim = await waitForLockWait(observer, database.name, "%boxoffice_pay%")
      await observer`select pg_terminate_backend(${victim})`
      await releaseWallet()

      // The server ends the statement and says so (57P01, admin_shutdown) before it closes the
      // connection: the payment was rolled back, so the answer is unavailable, which the state below shows.
      const failed = await payment
      assertTerminated(failed)
      const after = await runtime.runPromise(
        Effect.gen(function* () {
          const booking = yield* Booking
          return {
            hold: yield* booking.getHold(userId, hold.holdId),
            balance: yield* booking.balance(userId),
            payments: yield* booking.listPayments(userId),
            ledger: yield* (yield* Wallet).ledger(userId)
          }
        })
      )
      assert.strictEqual(after.hold.status, "held")
      assert.strictEqual(after.balance, 50_000)
      assert.strictEqual(after.payments.length, 0)
      assert.strictEqual(after.ledger.length, 1)
      const [sales] = await observer<
        Array<{ count: number }>
      >`select count(*)::int as count from sales where payment_id is not null`
      assert.strictEqual(sales!.count, 0)

      const retried = await runtime.runPromise(Booking.use((b) => b.pay(userId, token, hold.holdId, "pay-once")))
      assert.strictEqual(retried.balanceKrw, 30_000)
      const replayed = await runtime.runPromise(Booking.use((b) => b.pay(userId, token, hold.holdId, "pay-once")))
      assert.deepStrictEqual(replayed, retried)
      assert.strictEqual(await runtime.runPromise(Booking.use((b) => b.balance(userId))), 30_000)
      assert.strictEqual((await runtime.runPromise(Booking.use((b) => b.listPayments(userId)))).length, 1)
    } finally {
      await runtime.dispose()
    }
  }, 60_000)

  describe("a backend killed in the middle of any other write function leaves nothing behind", () => {
    interface KilledCall {
      readonly name: string
      readonly pattern: string
      /** Takes the lock the call will wait on; answers the call. */
      readonly arrange: (fixture: Fixture) => Promise<{
        readonly release: () => Promise<void>
        readonly call: Effect.Effect<unknown, { readonly _tag: string }, Booking>
      }>
      /** The state the call must not have changed, read before and after. */
      readonly observe: (fixture: Fixture, observer: postgres.Sql) => Promise<unknown>
    }
    type Fixture = Effect.Success<typeof buyerWithHold>
    const url = () => Redacted.value(database.url)
    const calls: Array<KilledCall> = [
      {
        name: "a keyed charge",
        pattern: "%boxoffice_charge%",
        arrange: async ({ userId }) => ({
          release: await lockWallet(url(), userId),
          call: Booking.use((b) => b.charge(userId, 1_000, "charge-once"))
        }),
        observe: ({ userId }, observer) =>
          observer`select (select balance_krw from wallets where user_id = ${userId}) as balance,
            (select count(*)::int from ledger_entries where user_id = ${userId}) as entries,
            (select count(*)::int from idempotency_records where user_id = ${userId}) as records`
      },
      {
        name: "a hold",
        pattern: "%boxoffice_hold%",
        arrange: async ({ userId, token, hold }) => ({
          release: await holdLock(
            url(),
            (tx) => tx`select 1 from seats where date_id = ${hold.dateId} and seat_number = 5 for update`
          ),
          call: Booking.use((b) => b.hold(userId, token, hold.dateId, [5]))
        }),
        observe: ({ userId, hold }, observer) =>
          observer`select (select count(*)::int from holds where user_id = ${userId}) as holds,
            (select count(*)::int from seats where date_id = ${hold.dateId} and hold_id is not null) as held_seats`
      },
      {
        name: "a release",
        pattern: "%boxoffice_release%",
        arrange: async ({ userId, hold }) => ({
          release: await holdLock(url(), (tx) => tx`select 1 from holds where hold_id = ${hold.holdId} for update`),
          call: Booking.use((b) => b.releaseHold(userId, hold.holdId))
        }),
        observe: ({ hold }, observer) =>
          observer`select (select state from holds where hold_id = ${hold.holdId}) as state,
            (select count(*)::int from seats where hold_id = ${hold.holdId}) as held_seats`
      },
      {
        name: "a concert's creation",
        pattern: "%boxoffice_create_concert%",
        arrange: async () => ({
          release: await holdLock(url(), (tx) => tx`lock table concert_dates in share mode`),
          call: Booking.use((b) =>
            b.createConcert({
              title: "Killed",
              dates: [{ startsAt: DateTime.makeUnsafe(Date.now() + 86_400_000), priceKrw: 1_000 }]
            })
          )
        }),
        observe: (_, observer) =>
          observer`select (select count(*)::int from concerts) as concerts,
            (select count(*)::int from concert_dates) as dates, (select count(*)::int from seats) as seats`
      }
    ]
    for (const killed of calls) {
      it(`${killed.name}: unavailable, nothing changed, and a retry succeeds at once`, async () => {
        const runtime = instance(database.pool(5))
        const observer = database.pool(2)
        try {
          const fixture = await runtime.runPromise(buyerWithHold)
          const before = await killed.observe(fixture, observer)
          const { release, call } = await killed.arrange(fixture)
          const running = runtime.runPromise(Effect.result(call))
          await observer`select pg_terminate_backend(${await waitForLockWait(observer, database.name, killed.pattern)})`
          await release()
          assertTerminated(await running)
          assert.deepStrictEqual(await killed.observe(fixture, observer), before)
          const retried = await runtime.runPromise(Effect.result(call))
          assert.isTrue(Result.isSuccess(retried), JSON.stringify(retried))
          assert.notDeepEqual(await killed.observe(fixture, observer), before)
        } finally {
          await runtime.dispose()
        }
      }, 60_000)
    }
  })

  it("with the database cut off, calls fail fast with unavailable, and work again when it is back", async () => {
    const proxy = await startTcpProxy(5432)
    const url = Redacted.value(database.url).replace(":5432/", `:${proxy.port}/`)
    const runtime = ManagedRuntime.make(
      PostgresStores.layer({ url: Redacted.make(url), poolSize: 5, connectTimeoutSeconds: 2 })
    )
    try {
      const userId = Effect.runSync(newId(UserId))
      const charge = () =>
        runtime.runPromise(
          Effect.result(
            Effect.flatMap(newId(ChargeIdSchema), (chargeId) =>
              Wallet.use((w) => w.charge({ chargeId, userId, amountKrw: 1_000, idempotency: null }))
            )
          )
        )
      assert.isTrue(Result.isSuccess(await charge()))

      await proxy.cut()
      // A read first: it may meet the pooled connection before the pool has seen it reset (a write would
      // then not know whether it ran), and a read that fails changed nothing either way.
      const read = await runtime.runPromise(Effect.result(Wallet.use((w) => w.balance(userId))))
      assert.isTrue(Result.isFailure(read) && read.failure._tag === "Unavailable", JSON.stringify(read))
      for (let i = 0; i < 3; i++) {
        const started = performance.now()
        const during = await charge()
        const elapsedMs = performance.now() - started
        assert.isTrue(Result.isFailure(during) && during.failure._tag === "Unavailable", JSON.stringify(during))
        // Fails instead of hanging: within the 2 s connect timeout and some slack.
        assert.isBelow(elapsedMs, 5_000)
      }

      await proxy.restore()
      let recovered = await charge()
      for (let i = 0; i < 20 && Result.isFailure(recovered); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        recovered = await charge()
      }
      assert.isTrue(Result.isSuccess(recovered), "no recovery without a restart")
      assert.strictEqual(await runtime.runPromise(Wallet.use((w) => w.balance(userId))), 2_000)
    } finally {
      await runtime.dispose()
      await proxy.close()
    }
  }, 60_000)

  it("a hold that expired by the database's own clock cannot be paid, and its seats are free at once", async () => {
    const runtime = instance(database.pool(5))
    try {
      const { userId, hold } = await runtime.runPromise(buyerWithHold)
      const date = (await runtime.runPromise(Booking.use((b) => b.listConcerts)))
        .flatMap((c) => c.dates)
        .find((d) => d.dateId === hold.dateId)!
      // A one-second hold, straight through the port: the engine's minimum is 10 s.
      const short = await runtime.runPromise(
        Effect.gen(function* () {
          return yield* (yield* SeatInventory).hold({
            holdId: yield* newId(HoldId),
            userId,
            date,
            seatNumbers: [9],
            amountKrw: 10_000,
            holdSeconds: 1,
            maxSeatsPerUser: 10,
            activeUntil: activeAllDay,
            reservesFunds: false
          })
        })
      )
      await new Promise((resolve) => setTimeout(resolve, 1_100))
      const paid = await runtime.runPromise(
        Effect.result(
          Effect.gen(function* () {
            const paymentId = yield* newId(PaymentId)
            const queueTokenId = yield* newId(QueueTokenId)
            return yield* Payments.use((p) =>
              p.pay({
                paymentId,
                holdId: short.holdId,
                userId,
                concertId: date.concertId,
                queueTokenId,
                idempotency: null
              })
            )
          })
        )
      )
      assert.isTrue(Result.isFailure(paid) && paid.failure._tag === "HoldExpired")
      const other = Effect.runSync(newId(UserId))
      const taken = await runtime.runPromise(
        Effect.gen(function* () {
          return yield* (yield* SeatInventory).hold({
            holdId: yield* newId(HoldId),
            userId: other,
            date,
            seatNumbers: [9],
            amountKrw: 10_000,
            holdSeconds: 300,
            maxSeatsPerUser: 4,
            activeUntil: activeAllDay,
            reservesFunds: false
          })
        })
      )
      assert.strictEqual(taken.status, "held")
      assert.strictEqual(await runtime.runPromise(Booking.use((b) => b.balance(userId))), 50_000)
    } finally {
      await runtime.dispose()
    }
  }, 30_000)

  it("idempotency records older than 24 h are swept, a batch at a time; newer ones stay", async () => {
    const runtime = instance(database.pool(5))
    const observer = database.pool(1)
    try {
      const userId = Effect.runSync(newId(UserId))
      await runtime.runPromise(Booking.use((b) => b.charge(userId, 1_000, "fresh")))
      for (const key of ["old-1", "old-2", "old-3"]) {
        await observer`
          insert into idempotency_records (user_id, key, fingerprint, outcome, created_at)
          values (${userId}, ${key}, ${"charge:1000"}, ${'{"_tag":"Charged"}'}::jsonb, now() - interval '25 hours')`
      }
      assert.strictEqual(await runtime.runPromise(sweepIdempotencyRecords(2)), 2)
      assert.strictEqual(await runtime.runPromise(sweepIdempotencyRecords(2)), 1)
      assert.strictEqual(await runtime.runPromise(sweepIdempotencyRecords(2)), 0)
      const left = await observer<Array<{ key: string }>>`select key from idempotency_records where user_id = ${userId}`
      assert.deepStrictEqual(
        left.map((row) => row.key),
        ["fresh"]
      )
    } finally {
      await runtime.dispose()
    }
  }, 30_000)

  it("sweepers racing each other clear each expired hold's seats once, and only expired ones", async () => {
    const runtime = instance(database.pool(10))
    try {
      const { userId, hold } = await runtime.runPromise(buyerWithHold)
      const date = (await runtime.runPromise(Booking.use((b) => b.listConcerts)))
        .flatMap((c) => c.dates)
        .find((d) => d.dateId === hold.dateId)!
      for (const seat of [20, 21, 22, 23, 24, 25]) {
        await runtime.runPromise(
          Effect.gen(function* () {
            yield* (yield* SeatInventory).hold({
              holdId: yield* newId(HoldId),
              userId: Effect.runSync(newId(UserId)),
              date,
              seatNumbers: [seat],
              amountKrw: 10_000,
              holdSeconds: 1,
              maxSeatsPerUser: 4,
              activeUntil: activeAllDay,
              reservesFunds: false
            })
          })
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 1_100))
      const cleared = await Promise.all(Array.from({ length: 4 }, () => runtime.runPromise(sweepExpiredHolds(100))))
      assert.strictEqual(
        cleared.reduce((a, b) => a + b, 0),
        6
      )
      const seats = await runtime.runPromise(SeatInventory.use((s) => s.seats(date)))
      assert.deepStrictEqual(
        seats.filter((s) => s.status === "held").map((s) => s.seatNumber),
        [3, 4]
      )
      assert.strictEqual((await runtime.runPromise(Booking.use((b) => b.getHold(userId, hold.holdId)))).status, "held")
    } finally {
      await runtime.dispose()
    }
  }, 30_000)
})

describe("a 503 means nothing happened", () => {
  const stateOf = (runtime: ManagedRuntime.ManagedRuntime<Booking | Wallet, unknown>, userId: UserId, holdId: HoldId) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const booking = yield* Booking
        return {
          hold: (yield* booking.getHold(userId, holdId)).status,
          balance: yield* booking.balance(userId),
          payments: (yield* booking.listPayments(userId)).length,
          ledger: (yield* (yield* Wallet).ledger(userId)).length
        }
      })
    )

  it("a payment that waits on a lock past lock_timeout is aborted by the database: unavailable, nothing changed", async () => {
    const pool = poolWithTimeouts({ statementTimeoutMs: 5_000, lockTimeoutMs: 300 })
    const runtime = instance(pool)
    try {
      const { userId, token, hold } = await runtime.runPromise(buyerWithHold)
      const release = await lockWallet(Redacted.value(database.url), userId)
      const started = performance.now()
      const failed = await runtime.runPromise(
        Effect.result(Booking.use((b) => b.pay(userId, token, hold.holdId, "k1")))
      )
      const elapsedMs = performance.now() - started
      await release()
      assert.isTrue(Result.isFailure(failed) && failed.failure._tag === "Unavailable", JSON.stringify(failed))
      assert.isBelow(elapsedMs, 3_000)
      assert.deepStrictEqual(await stateOf(runtime, userId, hold.holdId), {
        hold: "held",
        balance: 50_000,
        payments: 0,
        ledger: 1
      })
      // The key was freed: the retry pays once.
      const retried = await runtime.runPromise(Booking.use((b) => b.pay(userId, token, hold.holdId, "k1")))
      assert.strictEqual(retried.balanceKrw, 30_000)
    } finally {
      await runtime.dispose()
      await pool.end({ timeout: 5 })
    }
  }, 30_000)

  it("a charge that runs past statement_timeout is aborted by the database before the client gives up: nothing credited", async () => {
    const pool = poolWithTimeouts({ statementTimeoutMs: 300, lockTimeoutMs: 0 })
    const runtime = instance(pool)
    try {
      const userId = Effect.runSync(newId(UserId))
      await runtime.runPromise(Booking.use((b) => b.charge(userId, 1_000, null)))
      const release = await lockWallet(Redacted.value(database.url), userId)
      const failed = await runtime.runPromise(Effect.result(Booking.use((b) => b.charge(userId, 5_000, "charge-1"))))
      await release()
      assert.isTrue(Result.isFailure(failed) && failed.failure._tag === "Unavailable", JSON.stringify(failed))
      assert.strictEqual(await runtime.runPromise(Booking.use((b) => b.balance(userId))), 1_000)
      const retried = await runtime.runPromise(Booking.use((b) => b.charge(userId, 5_000, "charge-1")))
      assert.strictEqual(retried.balanceKrw, 6_000)
      assert.strictEqual(await runtime.runPromise(Booking.use((b) => b.balance(userId))), 6_000)
    } finally {
      await runtime.dispose()
      await pool.end({ timeout: 5 })
    }
  }, 30_000)

  it("a connection lost after the payment was sent answers outcome-unknown; the same key then replays the receipt", async () => {
    const proxy = await startTcpProxy(5432)
    const url = Redacted.value(database.url).replace(":5432/", `:${proxy.port}/`)
    const pool = postgres(url, {
      max: 5,
      connect_timeout: 2,
      onnotice: () => {},
      connection: PgDatabase.connectionParameters({ statementTimeoutMs: 5_000, lockTimeoutMs: 4_000 })
    })
    const runtime = instance(pool)
    const observer = database.pool(1)
    try {
      const { userId, token, hold } = await runtime.runPromise(buyerWithHold)
      const release = await lockWallet(Redacted.value(database.url), userId)
      const payment = runtime.runPromise(Effect.result(Booking.use((b) => b.pay(userId, token, hold.holdId, "pay-1"))))
      await waitForLockWait(observer, database.name, "%boxoffice_pay%")
      // The connection breaks while the payment waits inside the database, which then commits it.
      await proxy.cut()
      await release()
      const lost = await payment
      assert.isTrue(Result.isFailure(lost) && lost.failure._tag === "OutcomeUnknown", JSON.stringify(lost))
      await proxy.restore()
      for (let i = 0; i < 50; i++) {
        const [row] = await observer<
          Array<{ count: number }>
        >`select count(*)::int as count from payments where hold_id = ${hold.holdId}`
        if (row!.count === 1) break
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.deepStrictEqual(await stateOf(runtime, userId, hold.holdId), {
        hold: "paid",
        balance: 30_000,
        payments: 1,
        ledger: 2
      })
      const replayed = await runtime.runPromise(Booking.use((b) => b.pay(userId, token, hold.holdId, "pay-1")))
      assert.strictEqual(replayed.balanceKrw, 30_000)
      assert.strictEqual(replayed.holdId, hold.holdId)
      assert.strictEqual(await runtime.runPromise(Booking.use((b) => b.balance(userId))), 30_000)
    } finally {
      await runtime.dispose()
      await pool.end({ timeout: 5 })
      await proxy.close()
    }
  }, 30_000)
})
