/**
 * Contract cases of `holdNeedsFunds`: seats are not free to hoard. On a
 * concert with the policy a hold reserves its amount from the user's wallet,
 * and is refused with `InsufficientBalance` (402 `insufficient-balance`),
 * holding nothing, when the user's available balance (the balance less the
 * amounts of their live reserving holds) is short. A payment takes the
 * reservation; a release or an expiry frees it at once (L4). What is
 * available never goes below 0 (L2), under real concurrency too. A concert
 * without the policy holds as it always did.
 *
 * @since 0.4.0
 */
import {
  Booking,
  Catalog,
  type Concert,
  type NewConcert,
  newId,
  PaymentId,
  Payments,
  QueueTokenId,
  SeatInventory,
  type UserId,
  Wallet
} from "@boxoffice/core"
import { DateTime, Effect, Option, Result } from "effect"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { createConcert, harnessLayer, type HarnessServices, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"
import type { StoreStall } from "./StoreStall.ts"

const holdSeconds = 60

/** A concert with the policy: `dates` dates of `seatCount` seats at 1,000 each, holds of `holdSeconds`. */
const fundedConcert = (overrides: Partial<NewConcert> = {}, dates = 1, seatCount = 20) =>
  Effect.gen(function* () {
    const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
    return yield* createConcert({
      dates: Array.from({ length: dates }, (_, index) => ({
        startsAt: DateTime.makeUnsafe(nowMs + (30 + index) * 86_400_000),
        priceKrw: 1_000,
        seatCount
      })),
      maxSeatsPerUser: 20,
      holdSeconds,
      holdNeedsFunds: true,
      ...overrides
    })
  })

/** A fresh user admitted to `concert`, with `balanceKrw` charged. */
const buyer = (concert: Concert, balanceKrw: number) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const userId = yield* newUser
    const ticket = yield* booking.joinQueue(userId, concert.concertId)
    assert.strictEqual(ticket.entry.status, "active")
    if (balanceKrw > 0) yield* booking.charge(userId, balanceKrw, null)
    return { userId, token: ticket.queueToken }
  })

/** The user's funds as `[balance, available]`. */
const fundsOf = (userId: UserId) =>
  Effect.map(
    Booking.use((booking) => booking.funds(userId)),
    (funds) => [funds.balanceKrw, funds.availableKrw] as const
  )

const failureOf = <A, E extends { readonly _tag: string }>(result: Result.Result<A, E>) =>
  Result.isFailure(result) ? result.failure : null

/** The seat numbers of `concert`'s date `index` that read `status` now. */
const seatsThatAre = (concert: Concert, index: number, status: "available" | "held" | "sold") =>
  Effect.map(
    SeatInventory.use((inventory) => inventory.seats(concert.dates[index]!)),
    (seats) => seats.filter((seat) => seat.status === status).map((seat) => seat.seatNumber)
  )

/** One contract case of `holdNeedsFunds`. @category models */
export interface HoldFundsCase {
  readonly name: string
  readonly body: Effect.Effect<void, unknown, HarnessServices | StoreStall>
}

/**
 * The cases, each exported on its own so that an adapter's tests can run
 * one against a deliberately broken store.
 *
 * @category suites
 */
export const holdFundsCaseList: ReadonlyArray<HoldFundsCase> = [
  {
    name: "the policy is kept with the concert, and is false when not set",
    body: Effect.gen(function* () {
      const catalog = yield* Catalog
      const funded = yield* fundedConcert()
      const plain = yield* createConcert()
      assert.isTrue(funded.policy.holdNeedsFunds)
      assert.isFalse(plain.policy.holdNeedsFunds)
      assert.isTrue(Option.getOrThrow(yield* catalog.findConcert(funded.concertId)).policy.holdNeedsFunds)
      assert.isFalse(Option.getOrThrow(yield* catalog.findConcert(plain.concertId)).policy.holdNeedsFunds)
    })
  },
  {
    name: "a hold with enough available succeeds and lowers available, not the balance",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* fundedConcert()
      const { userId, token } = yield* buyer(concert, 5_000)
      assert.deepStrictEqual(yield* fundsOf(userId), [5_000, 5_000])
      const first = yield* booking.hold(userId, token, concert.dates[0]!.dateId, [1, 2])
      assert.strictEqual(first.amountKrw, 2_000)
      assert.deepStrictEqual(yield* fundsOf(userId), [5_000, 3_000])
      yield* booking.hold(userId, token, concert.dates[0]!.dateId, [3])
      assert.deepStrictEqual(yield* fundsOf(userId), [5_000, 2_000])
      assert.strictEqual(yield* booking.balance(userId), 5_000)
    })
  },
  {
    name: "a hold that would exceed available is insufficient-balance and holds nothing",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* fundedConcert()
      const dateId = concert.dates[0]!.dateId
      const { userId, token } = yield* buyer(concert, 5_000)
      yield* booking.hold(userId, token, dateId, [1, 2, 3])
      const refused = failureOf(yield* Effect.result(booking.hold(userId, token, dateId, [4, 5, 6])))
      assert.strictEqual(refused?._tag, "InsufficientBalance")
      if (refused?._tag === "InsufficientBalance") {
        assert.strictEqual(refused.code, "insufficient-balance")
        // It names what was available, and what the hold needed.
        assert.deepStrictEqual([refused.balanceKrw, refused.neededKrw], [2_000, 3_000])
      }
      assert.deepStrictEqual(yield* seatsThatAre(concert, 0, "held"), [1, 2, 3])
      assert.deepStrictEqual(yield* fundsOf(userId), [5_000, 2_000])
      // A user with no wallet at all holds nothing either.
      const broke = yield* buyer(concert, 0)
      const none = failureOf(yield* Effect.result(booking.hold(broke.userId, broke.token, dateId, [10])))
      assert.strictEqual(none?._tag, "InsufficientBalance")
      // What fits exactly is held, and leaves nothing available.
      yield* booking.hold(userId, token, dateId, [4, 5])
      assert.deepStrictEqual(yield* fundsOf(userId), [5_000, 0])
      assert.deepStrictEqual(yield* seatsThatAre(concert, 0, "held"), [1, 2, 3, 4, 5])
    })
  },
  {
    name: "releasing a hold restores available at once; releasing again changes nothing",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* fundedConcert()
      const dateId = concert.dates[0]!.dateId
      const { userId, token } = yield* buyer(concert, 3_000)
      const hold = yield* booking.hold(userId, token, dateId, [1, 2, 3])
      assert.deepStrictEqual(yield* fundsOf(userId), [3_000, 0])
      yield* booking.releaseHold(userId, hold.holdId)
      assert.deepStrictEqual(yield* fundsOf(userId), [3_000, 3_000])
      yield* booking.releaseHold(userId, hold.holdId)
      assert.deepStrictEqual(yield* fundsOf(userId), [3_000, 3_000])
      yield* booking.hold(userId, token, dateId, [4, 5, 6])
      assert.deepStrictEqual(yield* fundsOf(userId), [3_000, 0])
    })
  },
  {
    name: "an expired hold frees its reservation at once, with no sweeper (L4)",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* fundedConcert()
      const dateId = concert.dates[0]!.dateId
      const { userId, token } = yield* buyer(concert, 2_000)
      const hold = yield* booking.hold(userId, token, dateId, [1, 2])
      yield* StoreClock.use((clock) => clock.advance(holdSeconds * 1000 - 1))
      assert.deepStrictEqual(yield* fundsOf(userId), [2_000, 0])
      const early = failureOf(yield* Effect.result(booking.hold(userId, token, dateId, [3])))
      assert.strictEqual(early?._tag, "InsufficientBalance")
      yield* StoreClock.use((clock) => clock.advance(1))
      assert.strictEqual((yield* booking.getHold(userId, hold.holdId)).status, "expired")
      assert.deepStrictEqual(yield* fundsOf(userId), [2_000, 2_000])
      yield* booking.hold(userId, token, dateId, [3, 4])
      assert.deepStrictEqual(yield* fundsOf(userId), [2_000, 0])
    })
  },
  {
    name: "paying a reserving hold debits it once; available is as it was",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const payments = yield* Payments
      const concert = yield* fundedConcert()
      const dateId = concert.dates[0]!.dateId
      const { userId, token } = yield* buyer(concert, 5_000)
      const paid = yield* booking.hold(userId, token, dateId, [1, 2])
      yield* booking.hold(userId, token, dateId, [3])
      assert.deepStrictEqual(yield* fundsOf(userId), [5_000, 2_000])
      const receipt = yield* booking.pay(userId, token, paid.holdId, null)
      assert.strictEqual(receipt.balanceKrw, 3_000)
      // The payment took its own reservation: the other hold still keeps 1,000.
      assert.deepStrictEqual(yield* fundsOf(userId), [3_000, 2_000])
      const again = yield* Effect.result(
        payments.pay({
          paymentId: yield* newId(PaymentId),
          holdId: paid.holdId,
          userId,
          concertId: concert.concertId,
          queueTokenId: yield* newId(QueueTokenId),
          idempotency: null
        })
      )
      assert.strictEqual(failureOf(again)?._tag, "AlreadyPaid")
      assert.deepStrictEqual(yield* fundsOf(userId), [3_000, 2_000])
      const ledger = yield* (yield* Wallet).ledger(userId)
      assert.deepStrictEqual(
        ledger.map((entry) => [entry.kind, entry.amountKrw]),
        [
          ["charge", 5_000],
          ["payment", 2_000]
        ]
      )
      assert.deepStrictEqual(yield* seatsThatAre(concert, 0, "sold"), [1, 2])
      assert.deepStrictEqual(yield* seatsThatAre(concert, 0, "held"), [3])
    })
  },
  {
    name: "20 concurrent holds of distinct seats by one user whose balance covers 5: exactly 5 succeed",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      // Four dates: holds of one date also take turns on the user's seat cap, those of different dates only
      // on the wallet.
      const concert = yield* fundedConcert({ maxSeatsPerUser: 5 }, 4, 5)
      const { userId, token } = yield* buyer(concert, 5_000)
      const requests = concert.dates.flatMap((date) => [1, 2, 3, 4, 5].map((seat) => [date.dateId, seat] as const))
      const results = yield* Effect.forEach(
        requests,
        ([dateId, seat]) => Effect.result(booking.hold(userId, token, dateId, [seat])),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter(Result.isSuccess).length, 5)
      assert.deepStrictEqual(
        results.filter(Result.isFailure).map((result) => result.failure._tag),
        Array(15).fill("InsufficientBalance")
      )
      assert.deepStrictEqual(yield* fundsOf(userId), [5_000, 0])
      const held = yield* Effect.forEach([0, 1, 2, 3], (index) => seatsThatAre(concert, index, "held"))
      assert.strictEqual(held.flat().length, 5)
    })
  },
  {
    name: "money that holds keep cannot pay a hold of a concert without the policy",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const funded = yield* fundedConcert()
      const plain = yield* createConcert()
      const { userId, token } = yield* buyer(funded, 12_000)
      const plainTicket = yield* booking.joinQueue(userId, plain.concertId)
      const reserving = yield* booking.hold(userId, token, funded.dates[0]!.dateId, [1, 2, 3])
      const plainHold = yield* booking.hold(userId, plainTicket.queueToken, plain.dates[0]!.dateId, [1])
      assert.deepStrictEqual(yield* fundsOf(userId), [12_000, 9_000])
      const refused = failureOf(
        yield* Effect.result(booking.pay(userId, plainTicket.queueToken, plainHold.holdId, null))
      )
      assert.strictEqual(refused?._tag, "InsufficientBalance")
      if (refused?._tag === "InsufficientBalance") {
        assert.deepStrictEqual([refused.balanceKrw, refused.neededKrw], [9_000, 10_000])
      }
      assert.deepStrictEqual(yield* fundsOf(userId), [12_000, 9_000])
      yield* booking.releaseHold(userId, reserving.holdId)
      const receipt = yield* booking.pay(userId, plainTicket.queueToken, plainHold.holdId, null)
      assert.strictEqual(receipt.balanceKrw, 2_000)
      assert.deepStrictEqual(yield* fundsOf(userId), [2_000, 2_000])
    })
  },
  {
    name: "a concert without the policy holds with a zero balance, as today, and reserves nothing",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* createConcert()
      const { userId, token } = yield* buyer(concert, 0)
      const hold = yield* booking.hold(userId, token, concert.dates[0]!.dateId, [1, 2])
      assert.strictEqual(hold.amountKrw, 20_000)
      assert.deepStrictEqual(yield* fundsOf(userId), [0, 0])
      yield* booking.charge(userId, 5_000, null)
      assert.deepStrictEqual(yield* fundsOf(userId), [5_000, 5_000])
      // Paying it still needs the money, as today.
      const short = failureOf(yield* Effect.result(booking.pay(userId, token, hold.holdId, null)))
      assert.strictEqual(short?._tag, "InsufficientBalance")
    })
  }
]

/**
 * Registers the cases with vitest for `adapter`; the contract suite calls it
 * among its seat inventory tests.
 *
 * @example
 * ```ts
 * import { holdFundsCases } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * holdFundsCases(adapter)
 * ```
 * @category suites
 */
export const holdFundsCases = (adapter: AdapterUnderTest): void => {
  describe("holdNeedsFunds: a hold reserves its amount from the wallet (L2)", () => {
    for (const fundsCase of holdFundsCaseList) {
      it(
        fundsCase.name,
        () => Effect.runPromise(Effect.scoped(Effect.provide(fundsCase.body, harnessLayer(adapter)))),
        60_000
      )
    }
  })
}
