/**
 * Contract cases of refunds: a buyer cancels until the concert's cutoff, less
 * its fee; the host refunds in full until the date starts, one payment or a
 * whole date. A refund credits the wallet, keeps the payment with its refund
 * beside it, and puts the seats back on sale at once, in one atomic step
 * (L2, L3); of concurrent refunds of one payment exactly one succeeds.
 *
 * @since 0.6.0
 */
import {
  Booking,
  Catalog,
  type Concert,
  type NewConcert,
  Payments,
  SeatInventory,
  type UserId,
  Wallet
} from "@boxoffice/core"
import { DateTime, Effect, Option, Result } from "effect"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { harnessLayer, type HarnessServices, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"
import type { StoreStall } from "./StoreStall.ts"

const dayMs = 86_400_000

/** A one-date concert, 30 days ahead, of `seatCount` seats at `priceKrw`. */
const refundConcert = (overrides: Partial<NewConcert> = {}, seatCount = 10, priceKrw = 10_000) =>
  Effect.gen(function* () {
    const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
    return yield* Booking.use((booking) =>
      booking.createConcert({
        title: "Refund concert",
        dates: [{ startsAt: DateTime.makeUnsafe(nowMs + 30 * dayMs), priceKrw, seatCount }],
        maxSeatsPerUser: 20,
        queue: { maxActive: 1_000 },
        ...overrides
      })
    )
  })

/** A fresh user who pays for `seats` of the concert's first date: their id and the receipt. */
const paidBy = (concert: Concert, seats: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const userId = yield* newUser
    const ticket = yield* booking.joinQueue(userId, concert.concertId)
    yield* booking.charge(userId, 1_000_000, null)
    const hold = yield* booking.hold(userId, ticket.queueToken, concert.dates[0]!.dateId, seats)
    const receipt = yield* booking.pay(userId, ticket.queueToken, hold.holdId, null)
    return { userId, receipt }
  })

const failureOf = <A, E extends { readonly _tag: string }>(result: Result.Result<A, E>) =>
  Result.isFailure(result) ? result.failure._tag : null

const availableSeats = (concert: Concert) =>
  Effect.map(
    SeatInventory.use((inventory) => inventory.seats(concert.dates[0]!)),
    (seats) => seats.filter((seat) => seat.status === "available").map((seat) => seat.seatNumber)
  )

/** L2 over the ledger: the balance is charges − payments + refunds. */
const ledgerSum = (userId: UserId) =>
  Effect.map(
    Wallet.use((wallet) => wallet.ledger(userId)),
    (entries) =>
      entries.reduce((sum, entry) => sum + (entry.kind === "payment" ? -entry.amountKrw : entry.amountKrw), 0)
  )

/** One contract case of refunds. @category models */
export interface RefundCase {
  readonly name: string
  readonly body: Effect.Effect<void, unknown, HarnessServices | StoreStall>
}

/**
 * The cases, each exported on its own so that an adapter's tests can run
 * one against a deliberately broken store.
 *
 * @category suites
 */
export const refundCaseList: ReadonlyArray<RefundCase> = [
  {
    name: "the policy is kept with the concert: 24 hours and no fee unless set",
    body: Effect.gen(function* () {
      const catalog = yield* Catalog
      const plain = yield* refundConcert()
      const strict = yield* refundConcert({ refundUntilHours: 72, refundFeePercent: 15 })
      assert.deepStrictEqual([plain.policy.refundUntilHours, plain.policy.refundFeePercent], [24, 0])
      const found = Option.getOrThrow(yield* catalog.findConcert(strict.concertId))
      assert.deepStrictEqual([found.policy.refundUntilHours, found.policy.refundFeePercent], [72, 15])
      const foundPlain = Option.getOrThrow(yield* catalog.findConcert(plain.concertId))
      assert.deepStrictEqual([foundPlain.policy.refundUntilHours, foundPlain.policy.refundFeePercent], [24, 0])
    })
  },
  {
    name: "a buyer's refund credits the amount less the fee, rounded down, and frees the seats at once",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* refundConcert({ refundFeePercent: 10 }, 10, 999)
      const { userId, receipt } = yield* paidBy(concert, [3, 4])
      assert.strictEqual(receipt.amountKrw, 1_998)
      assert.notInclude(yield* availableSeats(concert), 3)
      const refund = yield* booking.refund(userId, receipt.paymentId, null)
      // 10% of 1,998 is 199.8: the fee rounds down to 199, the buyer gets 1,799.
      assert.deepStrictEqual([refund.feeKrw, refund.amountKrw], [199, 1_799])
      assert.strictEqual(refund.balanceKrw, 1_000_000 - 1_998 + 1_799)
      assert.strictEqual(yield* booking.balance(userId), refund.balanceKrw)
      assert.strictEqual(yield* ledgerSum(userId), refund.balanceKrw)
      assert.includeMembers(yield* availableSeats(concert), [3, 4])
      const [payment] = yield* booking.listPayments(userId)
      assert.strictEqual(payment!.paymentId, receipt.paymentId)
      assert.strictEqual(payment!.refund?.refundId, refund.refundId)
      assert.deepStrictEqual(
        [payment!.refund?.amountKrw, payment!.refund?.feeKrw, payment!.refund?.by],
        [1_799, 199, "user"]
      )
      const counts = (yield* SeatInventory.use((inventory) => inventory.seatCounts(concert.dates)))[0]!
      assert.deepStrictEqual([counts.sold, counts.available, counts.revenueKrw], [0, 10, 0])
    })
  },
  {
    name: "a second refund, another user's payment and an unknown one are refused and change nothing",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* refundConcert()
      const { userId, receipt } = yield* paidBy(concert, [1])
      const stranger = yield* newUser
      assert.strictEqual(
        failureOf(yield* Effect.result(booking.refund(stranger, receipt.paymentId, null))),
        "Forbidden"
      )
      assert.strictEqual(
        failureOf(yield* Effect.result(booking.refund(userId, "00000000-0000-4000-8000-000000000001" as never, null))),
        "NotFound"
      )
      yield* booking.refund(userId, receipt.paymentId, null)
      const balance = yield* booking.balance(userId)
      assert.strictEqual(
        failureOf(yield* Effect.result(booking.refund(userId, receipt.paymentId, null))),
        "AlreadyRefunded"
      )
      assert.strictEqual(
        failureOf(yield* Effect.result(booking.refundAsHost(receipt.paymentId, "host-1"))),
        "AlreadyRefunded"
      )
      assert.strictEqual(yield* booking.balance(userId), balance)
    })
  },
  {
    name: "the cutoff is judged by the store's clock: the buyer until refundUntilHours before, the host until the start",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const clock = yield* StoreClock
      const concert = yield* refundConcert({ refundUntilHours: 48 })
      const early = yield* paidBy(concert, [1])
      const late = yield* paidBy(concert, [2])
      const startsAtMs = DateTime.toEpochMillis(concert.dates[0]!.startsAt)
      yield* clock.advance(startsAtMs - 48 * 3_600_000 - 1 - (yield* clock.nowMs))
      yield* booking.refund(early.userId, early.receipt.paymentId, null)
      yield* clock.advance(1)
      assert.strictEqual(
        failureOf(yield* Effect.result(booking.refund(late.userId, late.receipt.paymentId, null))),
        "RefundClosed"
      )
      yield* clock.advance(startsAtMs - (yield* clock.nowMs))
      assert.strictEqual(
        failureOf(yield* Effect.result(booking.refundAsHost(late.receipt.paymentId, "late"))),
        "RefundClosed"
      )
      yield* clock.advance(-1)
      const refund = yield* booking.refundAsHost(late.receipt.paymentId, "late")
      assert.deepStrictEqual([refund.amountKrw, refund.feeKrw], [10_000, 0])
    })
  },
  {
    name: "a key replays its refund; a key used for another payment is refused",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* refundConcert()
      const { userId, receipt } = yield* paidBy(concert, [1])
      const ticket = yield* booking.joinQueue(userId, concert.concertId)
      const other = yield* booking.pay(
        userId,
        ticket.queueToken,
        (yield* booking.hold(userId, ticket.queueToken, concert.dates[0]!.dateId, [2])).holdId,
        null
      )
      const first = yield* booking.refund(userId, receipt.paymentId, "cancel-1")
      const again = yield* booking.refund(userId, receipt.paymentId, "cancel-1")
      assert.deepStrictEqual(again, first)
      assert.strictEqual(
        failureOf(yield* Effect.result(booking.refund(userId, other.paymentId, "cancel-1"))),
        "IdempotencyKeyReused"
      )
      assert.strictEqual(yield* booking.balance(userId), 1_000_000 - 20_000 + 10_000)
    })
  },
  {
    name: "100 concurrent refunds of one payment with different keys: exactly one succeeds, the balance rises once",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* refundConcert()
      const { userId, receipt } = yield* paidBy(concert, [1, 2])
      const results = yield* Effect.forEach(
        Array.from({ length: 100 }, (_, i) => i),
        (i) =>
          Effect.result(
            i % 2 === 0
              ? booking.refund(userId, receipt.paymentId, `k-${i}`)
              : booking.refundAsHost(receipt.paymentId, `h-${i}`)
          ),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 1)
      assert.deepStrictEqual(
        [...new Set(results.map(failureOf))].filter((tag) => tag !== null),
        ["AlreadyRefunded"]
      )
      assert.strictEqual(yield* booking.balance(userId), 1_000_000)
      assert.strictEqual(yield* ledgerSum(userId), 1_000_000)
    })
  },
  {
    name: "a refund racing holds on its seat: a hold wins only once the refund has committed, and one owner at most",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* refundConcert()
      const { userId, receipt } = yield* paidBy(concert, [5])
      const rivals = yield* Effect.forEach(Array.from({ length: 20 }), () =>
        Effect.gen(function* () {
          const rival = yield* newUser
          const ticket = yield* booking.joinQueue(rival, concert.concertId)
          return { rival, token: ticket.queueToken }
        })
      )
      const [refund, ...holds] = yield* Effect.all(
        [
          Effect.result(booking.refund(userId, receipt.paymentId, null)),
          ...rivals.map(({ rival, token }) => Effect.result(booking.hold(rival, token, concert.dates[0]!.dateId, [5])))
        ],
        { concurrency: "unbounded" }
      )
      assert.isTrue(Result.isSuccess(refund))
      const won = holds.filter(Result.isSuccess)
      assert.isAtMost(won.length, 1)
      for (const lost of holds.filter(Result.isFailure)) assert.strictEqual(lost.failure._tag, "SeatUnavailable")
      const seat = (yield* SeatInventory.use((inventory) => inventory.seats(concert.dates[0]!))).find(
        (s) => s.seatNumber === 5
      )!
      assert.strictEqual(seat.status, won.length === 1 ? "held" : "available")
      // Whoever holds it now can buy it: the refunded payment no longer owns it.
      const winner = holds.findIndex(Result.isSuccess)
      if (winner >= 0) {
        const { rival, token } = rivals[winner]!
        const held = holds[winner]!
        if (Result.isSuccess(held)) {
          yield* booking.charge(rival, 10_000, null)
          const paid = yield* booking.pay(rival, token, held.success.holdId, null)
          assert.deepStrictEqual(paid.seatNumbers, [5])
        }
      }
    })
  },
  {
    name: "a date's refunds: every payment once, in full, and a call after an interruption finishes the rest",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* refundConcert({ refundFeePercent: 50 })
      const buyers = yield* Effect.forEach([1, 2, 3, 4, 5], (seat) => paidBy(concert, [seat]))
      // An earlier call that refunded two and stopped.
      yield* booking.refundAsHost(buyers[0]!.receipt.paymentId, null)
      yield* booking.refund(buyers[1]!.userId, buyers[1]!.receipt.paymentId, null)
      const remaining = yield* Payments.use((payments) => payments.unrefundedPayments(concert.dates[0]!.dateId, 2))
      assert.strictEqual(remaining.total, 3)
      assert.strictEqual(remaining.payments.length, 2)
      assert.deepStrictEqual(yield* booking.refundDate(concert.dates[0]!.dateId), { refunded: 3, remaining: 0 })
      assert.deepStrictEqual(yield* booking.refundDate(concert.dates[0]!.dateId), { refunded: 0, remaining: 0 })
      // The buyer's own cancel paid the fee; the host's refunds none.
      const balances = yield* Effect.forEach(buyers, ({ userId }) => booking.balance(userId))
      assert.deepStrictEqual(balances, [1_000_000, 1_000_000 - 5_000, 1_000_000, 1_000_000, 1_000_000])
      assert.lengthOf(yield* availableSeats(concert), 10)
    })
  },
  {
    name: "a sold-out concert is open again once a refund puts a seat back",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* refundConcert({}, 2)
      const { userId, receipt } = yield* paidBy(concert, [1, 2])
      const late = yield* newUser
      assert.strictEqual(failureOf(yield* Effect.result(booking.joinQueue(late, concert.concertId))), "SoldOut")
      yield* booking.refund(userId, receipt.paymentId, null)
      const ticket = yield* booking.joinQueue(late, concert.concertId)
      assert.strictEqual(ticket.entry.status, "active")
      const [listed] = (yield* booking.listConcertsForSale).filter((c) => c.concert.concertId === concert.concertId)
      assert.isFalse(listed!.soldOut)
    })
  }
]

/**
 * Registers the cases with vitest for `adapter`; the contract suite calls it
 * among its payment tests.
 *
 * @example
 * ```ts
 * import { refundCases } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * refundCases(adapter)
 * ```
 * @category suites
 */
export const refundCases = (adapter: AdapterUnderTest): void => {
  describe("refunds (L2, L3)", () => {
    for (const refundCase of refundCaseList) {
      it(
        refundCase.name,
        () => Effect.runPromise(Effect.scoped(Effect.provide(refundCase.body, harnessLayer(adapter)))),
        60_000
      )
    }
  })
}
