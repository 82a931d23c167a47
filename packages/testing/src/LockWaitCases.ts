/**
 * Contract cases in which time passes inside a store call: a write waits on
 * a lock while the clock moves past an expiry. Each case is exported on its
 * own so that an adapter can also prove that a broken store fails it.
 *
 * @since 0.2.0
 */
import { Booking, type Concert } from "@boxoffice/core"
import { Clock, DateTime, Effect, Fiber, Result } from "effect"
import { assert } from "vitest"
import { createConcert, type HarnessServices, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"
import { StoreStall } from "./StoreStall.ts"

/** One case: a name and a body that fails when the law it checks is broken. @category models */
export interface LockWaitCase {
  readonly name: string
  readonly body: Effect.Effect<void, unknown, HarnessServices | StoreStall>
}

const advance = (milliseconds: number) => StoreClock.use((clock) => clock.advance(milliseconds))

/** A concert whose holds last 60 s, and two admitted users with money. */
const twoBuyers = Effect.gen(function* () {
  const booking = yield* Booking
  const concert: Concert = yield* createConcert({ holdSeconds: 60 })
  const buyer = () =>
    Effect.gen(function* () {
      const userId = yield* newUser
      const ticket = yield* booking.joinQueue(userId, concert.concertId)
      yield* booking.charge(userId, 50_000, null)
      return { userId, token: ticket.queueToken }
    })
  return { booking, date: concert.dates[0]!, a: yield* buyer(), b: yield* buyer() }
})

/**
 * The cases. Each fails with an assertion error on a store that judges
 * expiry by the time a call started, or that sells seats by number alone.
 *
 * @example
 * ```ts
 * import { lockWaitCases } from "@boxoffice/testing"
 * lockWaitCases.map((c) => c.name)
 * ```
 * @category suites
 */
export const lockWaitCases: ReadonlyArray<LockWaitCase> = [
  {
    name: "a payment that waits on a lock past its hold's expiry is refused and cannot take the seat held meanwhile",
    body: Effect.gen(function* () {
      const { booking, date, a, b } = yield* twoBuyers
      const holdA = yield* booking.hold(a.userId, a.token, date.dateId, [1])
      const lock = yield* StoreStall.use((stall) => stall.lockHold(holdA.holdId))
      const payA = yield* Effect.forkChild(Effect.result(booking.pay(a.userId, a.token, holdA.holdId, null)))
      yield* lock.waitedOn
      yield* advance(61_000)
      const holdB = yield* booking.hold(b.userId, b.token, date.dateId, [1])
      yield* lock.release
      const paidA = yield* Fiber.join(payA)
      assert.isTrue(Result.isFailure(paidA), "the payment of an expired hold succeeded")
      assert.strictEqual(
        Result.isFailure(paidA) ? paidA.failure._tag : "",
        "HoldExpired",
        Result.isFailure(paidA) ? String((paidA.failure as any).cause) : ""
      )
      assert.strictEqual(yield* booking.balance(a.userId), 50_000)
      assert.strictEqual((yield* booking.getHold(b.userId, holdB.holdId)).status, "held")
      const paidB = yield* booking.pay(b.userId, b.token, holdB.holdId, null)
      assert.deepStrictEqual(paidB.seatNumbers, [1])
      assert.strictEqual(yield* booking.balance(b.userId), 40_000)
      assert.deepStrictEqual((yield* booking.listPayments(a.userId)).length, 0)
    })
  },
  {
    name: "a payment that waits on its wallet while its hold expires debits nothing and frees the seat",
    body: Effect.gen(function* () {
      const { booking, date, a, b } = yield* twoBuyers
      const holdA = yield* booking.hold(a.userId, a.token, date.dateId, [2, 3])
      const lock = yield* StoreStall.use((stall) => stall.lockWallet(a.userId))
      const payA = yield* Effect.forkChild(Effect.result(booking.pay(a.userId, a.token, holdA.holdId, "pay-a")))
      yield* lock.waitedOn
      yield* advance(60_000)
      yield* lock.release
      const paidA = yield* Fiber.join(payA)
      assert.strictEqual(Result.isFailure(paidA) ? paidA.failure._tag : "succeeded", "HoldExpired")
      assert.strictEqual(yield* booking.balance(a.userId), 50_000)
      const holdB = yield* booking.hold(b.userId, b.token, date.dateId, [2, 3])
      assert.strictEqual(holdB.status, "held")
    })
  },
  {
    name: "a release that waits on a lock past its hold's expiry leaves the hold made meanwhile",
    body: Effect.gen(function* () {
      const { booking, date, a, b } = yield* twoBuyers
      const holdA = yield* booking.hold(a.userId, a.token, date.dateId, [4])
      const lock = yield* StoreStall.use((stall) => stall.lockHold(holdA.holdId))
      const releaseA = yield* Effect.forkChild(booking.releaseHold(a.userId, holdA.holdId))
      yield* lock.waitedOn
      yield* advance(61_000)
      const holdB = yield* booking.hold(b.userId, b.token, date.dateId, [4])
      yield* lock.release
      yield* Fiber.join(releaseA)
      const seats = yield* booking.listSeats(b.userId, b.token, date.dateId)
      assert.strictEqual(seats.find((seat) => seat.seatNumber === 4)!.status, "held")
      const paidB = yield* booking.pay(b.userId, b.token, holdB.holdId, null)
      assert.deepStrictEqual(paidB.seatNumbers, [4])
    })
  },
  {
    name: "a hold that waits on a seat lock past its token's active window is refused and holds nothing",
    body: Effect.gen(function* () {
      const { booking, date, a } = yield* twoBuyers
      const activeUntil = (yield* booking.queueStatus(a.userId, a.token)).activeUntil!
      const lock = yield* StoreStall.use((stall) => stall.lockSeat(date.dateId, 5))
      const holdA = yield* Effect.forkChild(Effect.result(booking.hold(a.userId, a.token, date.dateId, [5])))
      yield* lock.waitedOn
      const nowMs = yield* Clock.currentTimeMillis
      yield* advance(DateTime.toEpochMillis(activeUntil) - nowMs)
      yield* lock.release
      const heldA = yield* Fiber.join(holdA)
      assert.strictEqual(Result.isFailure(heldA) ? heldA.failure._tag : "held", "QueueTokenExpired")
      // Nothing was held: a user admitted now takes the seat.
      const c = yield* newUser
      const concert = (yield* booking.listConcerts).find((k) => k.dates.some((d) => d.dateId === date.dateId))!
      const ticket = yield* booking.joinQueue(c, concert.concertId)
      const holdC = yield* booking.hold(c, ticket.queueToken, date.dateId, [5])
      assert.strictEqual(holdC.status, "held")
    })
  },
  {
    name: "a keyed charge that waits on its wallet credits once; the same key meanwhile is in flight or replays",
    body: Effect.gen(function* () {
      const { booking, a } = yield* twoBuyers
      const lock = yield* StoreStall.use((stall) => stall.lockWallet(a.userId))
      const first = yield* Effect.forkChild(booking.charge(a.userId, 7_000, "top-up"))
      yield* lock.waitedOn
      yield* advance(10_000)
      // A store with real locks answers in flight at once; an atomic store queues the retry behind the stall.
      const during = yield* Effect.forkChild(Effect.result(booking.charge(a.userId, 7_000, "top-up")))
      yield* Effect.yieldNow
      yield* lock.release
      const receipt = yield* Fiber.join(first)
      assert.strictEqual(receipt.balanceKrw, 57_000)
      const retried = yield* Fiber.join(during)
      if (Result.isFailure(retried)) assert.strictEqual(retried.failure._tag, "IdempotencyInFlight")
      else assert.deepStrictEqual(retried.success, receipt)
      assert.deepStrictEqual(yield* booking.charge(a.userId, 7_000, "top-up"), receipt)
      assert.strictEqual(yield* booking.balance(a.userId), 57_000)
    })
  }
]
