/**
 * Contract cases of L6's "a queue token pays at most once", decided by the
 * store that holds the money. The engine ends a paid token in the queue store
 * only after the payment has committed, and if that store is away the token
 * stays active there until its window ends. These cases prove that the
 * payment store itself refuses a second payment with a paid token
 * (`queue-token-expired`), that only the first payment shows in the wallet,
 * the seats and the payments, that a replay with the first payment's
 * Idempotency-Key still answers its receipt (L7: the key is judged before
 * the token), and that of concurrent payments with one token exactly one
 * succeeds.
 *
 * @since 0.3.0
 */
import {
  Booking,
  IdempotencyClaim,
  IdempotencyRecords,
  newId,
  PaymentId,
  Payments,
  Queue,
  QueueTokenId,
  SeatInventory,
  Unavailable,
  Wallet
} from "@boxoffice/core"
import { DateTime, Effect, Layer, Option, Result } from "effect"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { createConcert, harnessLayer, type HarnessServices, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"
import type { StoreStall } from "./StoreStall.ts"

/**
 * `effect` run by a second engine over the same stores, whose queue store
 * cannot end a token: a paid token stays active there, as while the queue
 * store is unreachable after a payment commits. (Its retries of the end wait
 * on the suites' manual clock, which these cases never move.)
 */
const withQueueThatCannotEnd = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provide(
    effect,
    // Fresh: a layer already built for the harness's engine would otherwise be shared.
    Layer.fresh(Booking.layer).pipe(
      Layer.provide(
        Layer.effect(
          Queue,
          Queue.use((queue) =>
            Effect.succeed(
              Queue.of({
                ...queue,
                end: () =>
                  Effect.fail(new Unavailable({ store: "queue", cause: new Error("the queue store is unreachable") }))
              })
            )
          )
        )
      )
    )
  )

/** An admitted user with `balanceKrw`, their token and its id, on a concert whose first date sells 20 seats of 1,000. */
const admittedBuyer = (balanceKrw: number) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
    const concert = yield* createConcert({
      dates: [{ startsAt: DateTime.makeUnsafe(nowMs + 30 * 86_400_000), priceKrw: 1_000, seatCount: 20 }],
      maxSeatsPerUser: 20
    })
    const userId = yield* newUser
    const ticket = yield* booking.joinQueue(userId, concert.concertId)
    assert.strictEqual(ticket.entry.status, "active")
    yield* booking.charge(userId, balanceKrw, null)
    return {
      booking,
      concert,
      date: concert.dates[0]!,
      userId,
      token: ticket.queueToken,
      tokenId: ticket.entry.tokenId
    }
  })

const failureTag = <A, E extends { readonly _tag: string }>(result: Result.Result<A, E>) =>
  Result.isFailure(result) ? result.failure._tag : "succeeded"

const cases: ReadonlyArray<{
  readonly name: string
  readonly body: Effect.Effect<void, unknown, HarnessServices | StoreStall>
}> = [
  {
    name: "a second payment with a paid token, while the queue still reads it active, is queue-token-expired; only the first shows",
    body: Effect.gen(function* () {
      const { booking, date, token, userId } = yield* admittedBuyer(10_000)
      const holdA = yield* booking.hold(userId, token, date.dateId, [1])
      const holdB = yield* booking.hold(userId, token, date.dateId, [2])
      const outcome = yield* withQueueThatCannotEnd(
        Effect.gen(function* () {
          const engine = yield* Booking
          const receipt = yield* engine.pay(userId, token, holdA.holdId, "pay-a")
          const active = (yield* engine.queueStatus(userId, token)).status
          const second = yield* Effect.result(engine.pay(userId, token, holdB.holdId, null))
          const keyed = yield* Effect.result(engine.pay(userId, token, holdB.holdId, "pay-b"))
          const replay = yield* engine.pay(userId, token, holdA.holdId, "pay-a")
          return { receipt, active, second, keyed, replay }
        })
      )
      // The queue never heard of the payment: the payment store alone refused the second.
      assert.strictEqual(outcome.active, "active")
      assert.strictEqual(failureTag(outcome.second), "QueueTokenExpired")
      assert.strictEqual(Result.isFailure(outcome.second) ? outcome.second.failure.code : "", "queue-token-expired")
      assert.strictEqual(failureTag(outcome.keyed), "QueueTokenExpired")
      assert.deepStrictEqual(outcome.replay, outcome.receipt)
      assert.strictEqual(outcome.receipt.balanceKrw, 9_000)
      assert.strictEqual(yield* booking.balance(userId), 9_000)
      const ledger = yield* (yield* Wallet).ledger(userId)
      assert.deepStrictEqual(
        ledger.map((e) => [e.kind, e.amountKrw]),
        [
          ["charge", 10_000],
          ["payment", 1_000]
        ]
      )
      assert.deepStrictEqual(
        (yield* booking.listPayments(userId)).map((p) => p.holdId),
        [holdA.holdId]
      )
      assert.strictEqual((yield* booking.getHold(userId, holdB.holdId)).status, "held")
      const seats = yield* (yield* SeatInventory).seats(date)
      assert.deepStrictEqual(
        seats.filter((s) => s.status === "sold").map((s) => s.seatNumber),
        [1]
      )
      assert.deepStrictEqual(
        seats.filter((s) => s.status === "held").map((s) => s.seatNumber),
        [2]
      )
    })
  },
  {
    name: "through the port: a token pays once; the first payment's key still replays its receipt; another token pays the hold",
    body: Effect.gen(function* () {
      const { booking, concert, date, token, tokenId, userId } = yield* admittedBuyer(10_000)
      const payments = yield* Payments
      const records = yield* IdempotencyRecords
      const holdA = yield* booking.hold(userId, token, date.dateId, [1])
      const holdB = yield* booking.hold(userId, token, date.dateId, [2, 3])
      const request = (holdId: typeof holdA.holdId, queueTokenId: QueueTokenId, key: string | null) =>
        Effect.flatMap(newId(PaymentId), (paymentId) =>
          payments.pay({
            paymentId,
            holdId,
            userId,
            concertId: concert.concertId,
            queueTokenId,
            idempotency: key === null ? null : new IdempotencyClaim({ userId, key, fingerprint: `payment:${holdId}` })
          })
        )
      const receipt = yield* request(holdA.holdId, tokenId, "pay-a")
      assert.strictEqual(failureTag(yield* Effect.result(request(holdB.holdId, tokenId, null))), "QueueTokenExpired")
      assert.strictEqual(failureTag(yield* Effect.result(request(holdB.holdId, tokenId, "pay-b"))), "QueueTokenExpired")
      // A refusal records nothing under its key.
      const claimB = new IdempotencyClaim({ userId, key: "pay-b", fingerprint: `payment:${holdB.holdId}` })
      assert.isTrue(Option.isNone(yield* records.replay(claimB)))
      // The key is judged before the token: the first payment's retry answers its receipt.
      assert.deepStrictEqual(yield* request(holdA.holdId, tokenId, "pay-a"), receipt)
      assert.strictEqual(yield* booking.balance(userId), 9_000)
      assert.deepStrictEqual(
        (yield* booking.listPayments(userId)).map((p) => p.holdId),
        [holdA.holdId]
      )
      assert.strictEqual((yield* booking.getHold(userId, holdB.holdId)).status, "held")
      // The refusal was the token's, not the hold's: a payment with another token (a later admission) pays it.
      const paidB = yield* request(holdB.holdId, yield* newId(QueueTokenId), null)
      assert.deepStrictEqual([paidB.seatNumbers, paidB.balanceKrw], [[2, 3], 7_000])
      assert.strictEqual(yield* booking.balance(userId), 7_000)
    })
  },
  {
    name: "20 concurrent payments of 20 holds with one token: exactly one succeeds, debited once",
    body: Effect.gen(function* () {
      const { booking, date, token, userId } = yield* admittedBuyer(100_000)
      const seatNumbers = Array.from({ length: 20 }, (_, i) => i + 1)
      const holds = yield* Effect.forEach(seatNumbers, (seat) => booking.hold(userId, token, date.dateId, [seat]))
      // The queue never ends the token, so every payment reaches the payment store, which alone decides.
      const results = yield* withQueueThatCannotEnd(
        Effect.forEach(
          holds,
          (hold) => Effect.result(Booking.use((engine) => engine.pay(userId, token, hold.holdId, null))),
          { concurrency: "unbounded" }
        )
      )
      const paid = results.filter(Result.isSuccess).map((r) => r.success)
      assert.strictEqual(paid.length, 1)
      assert.deepStrictEqual(
        results.filter(Result.isFailure).map((r) => r.failure._tag),
        Array(19).fill("QueueTokenExpired")
      )
      assert.strictEqual(yield* booking.balance(userId), 99_000)
      const payments = yield* booking.listPayments(userId)
      assert.deepStrictEqual(
        payments.map((p) => p.paymentId),
        [paid[0]!.paymentId]
      )
      const seats = yield* (yield* SeatInventory).seats(date)
      assert.deepStrictEqual(
        seats.filter((s) => s.status === "sold").map((s) => s.seatNumber),
        paid[0]!.seatNumbers
      )
      assert.strictEqual(seats.filter((s) => s.status === "held").length, 19)
      const ledger = yield* (yield* Wallet).ledger(userId)
      assert.deepStrictEqual(
        ledger.map((e) => [e.kind, e.amountKrw]),
        [
          ["charge", 100_000],
          ["payment", 1_000]
        ]
      )
    })
  }
]

/**
 * Registers the cases with vitest for `adapter`; the contract suite calls it
 * among its payment tests.
 *
 * @example
 * ```ts
 * import { paymentTokenCases } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * paymentTokenCases(adapter)
 * ```
 * @category suites
 */
export const paymentTokenCases = (adapter: AdapterUnderTest): void => {
  describe("a queue token pays at most once, decided by the store that holds the money (L6)", () => {
    for (const tokenCase of cases) {
      it(
        tokenCase.name,
        () => Effect.runPromise(Effect.scoped(Effect.provide(tokenCase.body, harnessLayer(adapter)))),
        60_000
      )
    }
  })
}
