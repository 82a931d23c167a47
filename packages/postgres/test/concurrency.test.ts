/**
 * Proves the Postgres adapter under real concurrency: many connections of
 * one pool, and two pools standing for two app instances, racing for the
 * same seats, holds and wallets. Every outcome is asserted exactly.
 */
import {
  ChargeId,
  Concert,
  ConcertDate,
  ConcertId,
  DateId,
  type Hold,
  HoldId,
  newId,
  PaymentId,
  Payments,
  QueuePolicy,
  QueueTokenId,
  SalePolicy,
  SeatInventory,
  UserId,
  Wallet,
  Booking,
  QueueTokenSigner,
  Catalog
} from "@boxoffice/core"
import { MemoryQueue } from "@boxoffice/memory"
import { PostgresStores } from "@boxoffice/postgres"
import { DateTime, Effect, Layer, ManagedRuntime, Redacted, Result } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
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

const instanceLayer = (database: TestDatabase) =>
  Booking.layer.pipe(
    Layer.provideMerge(PostgresStores.layerFromClient(database.pool(20))),
    Layer.provideMerge(MemoryQueue.layer),
    Layer.provideMerge(QueueTokenSigner.layerHmac(Redacted.make("concurrency-secret-of-32-bytes-or-more")))
  )
type Instance = ManagedRuntime.ManagedRuntime<Layer.Success<ReturnType<typeof instanceLayer>>, never>

/** Runs `count` calls spread round-robin over the instances, all at once. */
const race = <A, E>(
  instances: ReadonlyArray<Instance>,
  count: number,
  call: (index: number) => Effect.Effect<A, E, Layer.Success<ReturnType<typeof instanceLayer>>>
) =>
  Promise.all(
    Array.from({ length: count }, (_, index) =>
      instances[index % instances.length]!.runPromise(Effect.result(call(index)))
    )
  )

const saveConcert = (instance: Instance, seatCount: number, priceKrw: number) =>
  instance.runPromise(
    Effect.gen(function* () {
      const concertId = yield* newId(ConcertId)
      const date = new ConcertDate({
        dateId: yield* newId(DateId),
        concertId,
        startsAt: DateTime.makeUnsafe(Date.now() + 30 * 86_400_000),
        priceKrw,
        seatCount
      })
      yield* (yield* Catalog).saveConcert(
        new Concert({
          concertId,
          title: "Concurrency",
          policy: new SalePolicy({ queue: QueuePolicy.default, holdSeconds: 300, maxSeatsPerUser: 4 }),
          dates: [date]
        })
      )
      return date
    })
  )

const holdRequest = (date: ConcertDate, userId: UserId, seatNumbers: Array<number>) =>
  Effect.map(newId(HoldId), (holdId) => ({
    holdId,
    userId,
    date,
    seatNumbers,
    amountKrw: date.priceKrw * seatNumbers.length,
    holdSeconds: 300,
    maxSeatsPerUser: 4,
    activeUntil: activeAllDay,
    reservesFunds: false
  }))

const hold = (date: ConcertDate, userId: UserId, seatNumbers: Array<number>) =>
  Effect.flatMap(holdRequest(date, userId, seatNumbers), (request) => SeatInventory.use((s) => s.hold(request)))
const charge = (userId: UserId, amountKrw: number) =>
  Effect.flatMap(newId(ChargeId), (chargeId) =>
    Wallet.use((w) => w.charge({ chargeId, userId, amountKrw, idempotency: null }))
  )
/** A payment with `queueTokenId`, or with a token of its own, as if each payer had been admitted anew. */
const pay = (date: ConcertDate, userId: UserId, holdId: Hold["holdId"], queueTokenId?: QueueTokenId) =>
  Effect.gen(function* () {
    const paymentId = yield* newId(PaymentId)
    const tokenId = queueTokenId ?? (yield* newId(QueueTokenId))
    return yield* Payments.use((p) =>
      p.pay({ paymentId, holdId, userId, concertId: date.concertId, queueTokenId: tokenId, idempotency: null })
    )
  })
const balance = (instance: Instance, userId: UserId) => instance.runPromise(Wallet.use((w) => w.balance(userId)))
const user = () => Effect.runSync(newId(UserId))

/** Holds `userId`'s wallet row from another session until the returned release is called. */
const lockWalletRow = async (userId: UserId) => {
  const blocker = database.pool(1)
  let release!: () => void
  let locked!: () => void
  const isLocked = new Promise<void>((resolve) => (locked = resolve))
  const blocking = blocker.begin(async (tx) => {
    await tx`select 1 from wallets where user_id = ${userId} for update`
    locked()
    await new Promise<void>((resolve) => (release = resolve))
  })
  await isLocked
  return async () => {
    release()
    await blocking
  }
}

/** Polls until `count` backends of the test database wait on a lock inside `boxoffice_pay`. */
const paymentsWaitingOnLocks = async (count: number) => {
  const observer = database.pool(1)
  for (let i = 0; i < 1_000; i++) {
    const [row] = await observer<Array<{ waiting: number }>>`
      select count(*)::int as waiting from pg_stat_activity
      where datname = ${database.name} and wait_event_type = 'Lock' and query ilike '%boxoffice_pay%'`
    if (row!.waiting >= count) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`fewer than ${count} payments waited on a lock`)
}

const timed = async <A>(label: string, body: () => Promise<A>): Promise<A> => {
  const started = performance.now()
  const result = await body()
  console.log(`[postgres concurrency] ${label}: ${(performance.now() - started).toFixed(0)} ms`)
  return result
}

for (const shape of [
  { name: "one pool of 20", instances: 1 },
  { name: "two pools of 20 (two instances)", instances: 2 }
]) {
  describe(`Postgres under concurrency: ${shape.name}`, () => {
    let instances: Array<Instance> = []
    beforeAll(() => {
      instances = Array.from({ length: shape.instances }, () => ManagedRuntime.make(instanceLayer(database)))
    })
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.dispose()))
    })
    const first = () => instances[0]!

    it("200 concurrent holds of the same seat: exactly 1 succeeds", async () => {
      const date = await saveConcert(first(), 50, 10_000)
      const results = await timed(`${shape.name}: 200 holds of one seat`, () =>
        race(instances, 200, () => hold(date, user(), [7]))
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 1)
      assert.isTrue(results.filter(Result.isFailure).every((r) => r.failure._tag === "SeatUnavailable"))
    })

    it("50 users hold 50 different seats concurrently: all succeed", async () => {
      const date = await saveConcert(first(), 50, 10_000)
      const results = await timed(`${shape.name}: 50 holds of 50 seats`, () =>
        race(instances, 50, (i) => hold(date, user(), [i + 1]))
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 50)
      const seats = await first().runPromise(SeatInventory.use((s) => s.seats(date)))
      assert.isTrue(seats.every((seat) => seat.status === "held"))
    })

    it("100 concurrent payments of the same hold: exactly 1, debited once", async () => {
      const date = await saveConcert(first(), 50, 10_000)
      const buyer = user()
      const held = await first().runPromise(hold(date, buyer, [1, 2]))
      await first().runPromise(charge(buyer, 100_000))
      const results = await timed(`${shape.name}: 100 payments of one hold`, () =>
        race(instances, 100, () => pay(date, buyer, held.holdId))
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 1)
      assert.isTrue(results.filter(Result.isFailure).every((r) => r.failure._tag === "AlreadyPaid"))
      assert.strictEqual(await balance(first(), buyer), 80_000)
      const ledger = await first().runPromise(Wallet.use((w) => w.ledger(buyer)))
      assert.strictEqual(ledger.filter((e) => e.kind === "payment").length, 1)
    })

    it("300 concurrent charges of 500: an exact final balance", async () => {
      const payer = user()
      const results = await timed(`${shape.name}: 300 charges of 500`, () =>
        race(instances, 300, () => charge(payer, 500))
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 300)
      assert.strictEqual(await balance(first(), payer), 150_000)
      assert.strictEqual((await first().runPromise(Wallet.use((w) => w.ledger(payer)))).length, 300)
    })

    it("interleaved concurrent charges and payments: an exact final balance", async () => {
      const date = await saveConcert(first(), 50, 1_000)
      const buyer = user()
      await first().runPromise(charge(buyer, 40_000))
      const holds: Array<Hold> = []
      // Port-level holds: the per-user cap is lifted so one buyer can pay 20 holds.
      for (let i = 0; i < 20; i++) {
        const request = await first().runPromise(holdRequest(date, buyer, [i * 2 + 1, i * 2 + 2]))
        holds.push(await first().runPromise(SeatInventory.use((s) => s.hold({ ...request, maxSeatsPerUser: 40 }))))
      }
      const results = await timed(`${shape.name}: 100 charges interleaved with 20 payments`, () =>
        race<unknown, unknown>(instances, 120, (i) =>
          i % 6 === 5 ? pay(date, buyer, holds[(i - 5) / 6]!.holdId) : charge(buyer, 1_000)
        )
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 120)
      assert.strictEqual(await balance(first(), buyer), 40_000 + 100 * 1_000 - 20 * 2_000)
    })

    it("a balance of 5,000 and five concurrent payments of 2,000: exactly 2, balance 1,000", async () => {
      const date = await saveConcert(first(), 50, 2_000)
      const buyer = user()
      await first().runPromise(charge(buyer, 5_000))
      const holds = await first().runPromise(
        Effect.forEach([1, 2, 3, 4, 5], (seat) =>
          Effect.flatMap(holdRequest(date, buyer, [seat]), (request) =>
            SeatInventory.use((s) => s.hold({ ...request, maxSeatsPerUser: 5 }))
          )
        )
      )
      const results = await timed(`${shape.name}: five payments of 2,000 on 5,000`, () =>
        race(instances, 5, (i) => pay(date, buyer, holds[i]!.holdId))
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 2)
      assert.isTrue(results.filter(Result.isFailure).every((r) => r.failure._tag === "InsufficientBalance"))
      assert.strictEqual(await balance(first(), buyer), 1_000)
    })

    it("20 concurrent payments of 20 holds with one queue token, all inside the database at once: exactly 1", async () => {
      const date = await saveConcert(first(), 50, 1_000)
      const buyer = user()
      const token = Effect.runSync(newId(QueueTokenId))
      await first().runPromise(charge(buyer, 100_000))
      const holds = await first().runPromise(
        Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i + 1),
          (seat) =>
            Effect.flatMap(holdRequest(date, buyer, [seat]), (request) =>
              SeatInventory.use((s) => s.hold({ ...request, maxSeatsPerUser: 20 }))
            )
        )
      )
      // The wallet row is held until all 20 wait on a lock inside boxoffice_pay: the first on the wallet, the
      // others on the token. A payment that checked the token before taking its lock would get past the
      // check here, and then fail on the unique queue_token_id.
      const release = await lockWalletRow(buyer)
      const racing = timed(`${shape.name}: 20 payments with one token`, () =>
        race(instances, 20, (i) => pay(date, buyer, holds[i]!.holdId, token))
      )
      await paymentsWaitingOnLocks(20)
      await release()
      const results = await racing
      assert.strictEqual(results.filter(Result.isSuccess).length, 1)
      assert.deepStrictEqual(
        results.filter(Result.isFailure).map((r) => r.failure._tag),
        Array(19).fill("QueueTokenExpired")
      )
      assert.strictEqual(await balance(first(), buyer), 99_000)
      const seats = await first().runPromise(SeatInventory.use((s) => s.seats(date)))
      assert.strictEqual(seats.filter((seat) => seat.status === "sold").length, 1)
      const ledger = await first().runPromise(Wallet.use((w) => w.ledger(buyer)))
      assert.strictEqual(ledger.filter((e) => e.kind === "payment").length, 1)
    })

    it("the same Idempotency-Key 20 times concurrently: one effect; each caller gets the first answer or in-flight", async () => {
      const payer = user()
      const results = await timed(`${shape.name}: 20 charges with one key`, () =>
        race(instances, 20, () => Booking.use((b) => b.charge(payer, 7_000, "same-key")))
      )
      const answers = results.filter(Result.isSuccess).map((r) => JSON.stringify(r.success))
      assert.isAtLeast(answers.length, 1)
      assert.strictEqual(new Set(answers).size, 1)
      assert.isTrue(results.filter(Result.isFailure).every((r) => r.failure._tag === "IdempotencyInFlight"))
      assert.strictEqual(await balance(first(), payer), 7_000)
      const again = await first().runPromise(Booking.use((b) => b.charge(payer, 7_000, "same-key")))
      assert.strictEqual(JSON.stringify(again), answers[0])
    })
  })
}
