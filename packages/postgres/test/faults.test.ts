/**
 * Proves that faults leave no partial state: a backend killed in the middle
 * of a payment, the database cut off and restored, holds expiring by the
 * database's real clock with no sweeper, and sweepers racing each other.
 */
import { Booking, ChargeId as ChargeIdSchema, newId, HoldId, PaymentId, Payments, QueueTokenSigner, SeatInventory, UserId, Wallet } from "@boxoffice/core"
import { MemoryQueue } from "@boxoffice/memory"
import { PostgresStores, sweepExpiredHolds } from "@boxoffice/postgres"
import { DateTime, Effect, Layer, ManagedRuntime, Redacted, Result } from "effect"
import postgres from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { startTcpProxy } from "@boxoffice/testing"
import { createTestDatabase, type TestDatabase } from "./support/TestDatabase.ts"

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
      Layer.provideMerge(QueueTokenSigner.layerHmac(Redacted.make("faults-secret")))
    )
  )

/** A user admitted to a fresh concert, holding two seats, with money in the wallet. */
const buyerWithHold = Effect.gen(function*() {
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

describe("faults", () => {
  it("a backend killed mid-payment leaves nothing behind; a retry with the same key succeeds once", async () => {
    const runtime = instance(database.pool(20))
    const observer = database.pool(2)
    try {
      const { userId, token, hold } = await runtime.runPromise(buyerWithHold)
      // Hold the buyer's wallet row, so the payment blocks inside its transaction.
      const blocker = postgres(Redacted.value(database.url), { max: 1, onnotice: () => {} })
      let releaseWallet!: () => void
      let walletLocked!: () => void
      const locked = new Promise<void>((resolve) => (walletLocked = resolve))
      const blocking = blocker.begin(async (tx) => {
        await tx`select 1 from wallets where user_id = ${userId} for update`
        walletLocked()
        await new Promise<void>((resolve) => (releaseWallet = resolve))
      })
      await locked
      const payment = runtime.runPromise(Effect.result(Booking.use((b) => b.pay(userId, token, hold.holdId, "pay-once"))))
      let victim: number | undefined
      for (let i = 0; i < 200 && victim === undefined; i++) {
        const [row] = await observer<Array<{ pid: number }>>`
          select pid from pg_stat_activity
          where datname = ${database.name} and wait_event_type = 'Lock' and query ilike '%update wallets%'`
        victim = row?.pid
        if (victim === undefined) await new Promise((resolve) => setTimeout(resolve, 10))
      }
      assert.isDefined(victim, "the payment never reached the wallet row")
      await observer`select pg_terminate_backend(${victim!})`
      releaseWallet()
      await blocking
      await blocker.end()

      const failed = await payment
      assert.isTrue(Result.isFailure(failed) && failed.failure._tag === "Unavailable", JSON.stringify(failed))
      const after = await runtime.runPromise(Effect.gen(function*() {
        const booking = yield* Booking
        return {
          hold: yield* booking.getHold(userId, hold.holdId),
          balance: yield* booking.balance(userId),
          payments: yield* booking.listPayments(userId),
          ledger: yield* (yield* Wallet).ledger(userId)
        }
      }))
      assert.strictEqual(after.hold.status, "held")
      assert.strictEqual(after.balance, 50_000)
      assert.strictEqual(after.payments.length, 0)
      assert.strictEqual(after.ledger.length, 1)
      const [sales] = await observer<Array<{ count: number }>>`select count(*)::int as count from sales where payment_id is not null`
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

  it("with the database cut off, calls fail fast with unavailable, and work again when it is back", async () => {
    const proxy = await startTcpProxy(5432)
    const url = Redacted.value(database.url).replace(":5432/", `:${proxy.port}/`)
    const runtime = ManagedRuntime.make(PostgresStores.layer({ url: Redacted.make(url), poolSize: 5, connectTimeoutSeconds: 2 }))
    try {
      const userId = Effect.runSync(newId(UserId))
      const charge = () =>
        runtime.runPromise(Effect.result(Effect.flatMap(newId(ChargeIdSchema), (chargeId) =>
          Wallet.use((w) => w.charge({ chargeId, userId, amountKrw: 1_000, idempotency: null })))))
      assert.isTrue(Result.isSuccess(await charge()))

      await proxy.cut()
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
        .flatMap((c) => c.dates).find((d) => d.dateId === hold.dateId)!
      // A one-second hold, straight through the port: the engine's minimum is 10 s.
      const short = await runtime.runPromise(Effect.gen(function*() {
        return yield* (yield* SeatInventory).hold({
          holdId: yield* newId(HoldId),
          userId,
          date,
          seatNumbers: [9],
          amountKrw: 10_000,
          holdSeconds: 1,
          maxSeatsPerUser: 10
        })
      }))
      await new Promise((resolve) => setTimeout(resolve, 1_100))
      const paid = await runtime.runPromise(Effect.result(Effect.flatMap(newId(PaymentId), (paymentId) =>
        Payments.use((p) => p.pay({ paymentId, holdId: short.holdId, userId, idempotency: null })))))
      assert.isTrue(Result.isFailure(paid) && paid.failure._tag === "HoldExpired")
      const other = Effect.runSync(newId(UserId))
      const taken = await runtime.runPromise(Effect.gen(function*() {
        return yield* (yield* SeatInventory).hold({
          holdId: yield* newId(HoldId),
          userId: other,
          date,
          seatNumbers: [9],
          amountKrw: 10_000,
          holdSeconds: 300,
          maxSeatsPerUser: 4
        })
      }))
      assert.strictEqual(taken.status, "held")
      assert.strictEqual(await runtime.runPromise(Booking.use((b) => b.balance(userId))), 50_000)
    } finally {
      await runtime.dispose()
    }
  }, 30_000)

  it("sweepers racing each other clear each expired hold's seats once, and only expired ones", async () => {
    const runtime = instance(database.pool(10))
    try {
      const { userId, hold } = await runtime.runPromise(buyerWithHold)
      const date = (await runtime.runPromise(Booking.use((b) => b.listConcerts)))
        .flatMap((c) => c.dates).find((d) => d.dateId === hold.dateId)!
      for (const seat of [20, 21, 22, 23, 24, 25]) {
        await runtime.runPromise(Effect.gen(function*() {
          yield* (yield* SeatInventory).hold({
            holdId: yield* newId(HoldId),
            userId: Effect.runSync(newId(UserId)),
            date,
            seatNumbers: [seat],
            amountKrw: 10_000,
            holdSeconds: 1,
            maxSeatsPerUser: 4
          })
        }))
      }
      await new Promise((resolve) => setTimeout(resolve, 1_100))
      const cleared = await Promise.all(Array.from({ length: 4 }, () => runtime.runPromise(sweepExpiredHolds(100))))
      assert.strictEqual(cleared.reduce((a, b) => a + b, 0), 6)
      const seats = await runtime.runPromise(SeatInventory.use((s) => s.seats(date)))
      assert.deepStrictEqual(seats.filter((s) => s.status === "held").map((s) => s.seatNumber), [3, 4])
      assert.strictEqual((await runtime.runPromise(Booking.use((b) => b.getHold(userId, hold.holdId)))).status, "held")
    } finally {
      await runtime.dispose()
    }
  }, 30_000)
})
