/**
 * Proves that the memory store keeps a bounded working set: holds that are
 * over and idempotency records past retention are forgotten, a bounded
 * batch per call, and paid holds are kept.
 */
import { Booking, Limits } from "@boxoffice/core"
import { MemoryStores } from "@boxoffice/memory"
import { createConcert, harnessLayer, newUser, StoreClock, StoreStall, suiteEpochMs } from "@boxoffice/testing"
import { Effect, Layer, Result } from "effect"
import { assert, describe, it } from "vitest"

const adapter = {
  name: "memory",
  layer: Layer.merge(StoreStall.inFrontOf(MemoryStores.layer), StoreClock.layerManual(suiteEpochMs))
}
const run = <A, E>(effect: Effect.Effect<A, E, any>) =>
  Effect.runPromise(Effect.scoped(Effect.provide(effect, harnessLayer(adapter))) as Effect.Effect<A, E>)
const advance = (ms: number) => StoreClock.use((clock) => clock.advance(ms))

describe("memory pruning", () => {
  it("forgets an unpaid hold an hour after it ended, keeps a paid one, and a new hold does the tidying", () =>
    run(
      Effect.gen(function* () {
        const booking = yield* Booking
        const concert = yield* createConcert({ holdSeconds: 60 })
        const date = concert.dates[0]!
        const userId = yield* newUser
        const ticket = yield* booking.joinQueue(userId, concert.concertId)
        yield* booking.charge(userId, 50_000, null)
        const expiring = yield* booking.hold(userId, ticket.queueToken, date.dateId, [1])
        const paid = yield* booking.hold(userId, ticket.queueToken, date.dateId, [2])
        yield* booking.pay(userId, ticket.queueToken, paid.holdId, null)
        yield* advance(60_000 + Limits.endedHoldRetentionSeconds * 1000 - 1_000)
        assert.strictEqual((yield* booking.getHold(userId, expiring.holdId)).status, "expired")
        yield* advance(1_000)
        const other = yield* newUser
        const otherTicket = yield* booking.joinQueue(other, concert.concertId)
        yield* booking.hold(other, otherTicket.queueToken, date.dateId, [3])
        const gone = yield* Effect.result(booking.getHold(userId, expiring.holdId))
        assert.strictEqual(Result.isFailure(gone) ? gone.failure._tag : "found", "NotFound")
        assert.strictEqual((yield* booking.getHold(userId, paid.holdId)).status, "paid")
      })
    ))

  it("forgets an idempotency record after 24 h: the same key then runs anew", () =>
    run(
      Effect.gen(function* () {
        const booking = yield* Booking
        const userId = yield* newUser
        const first = yield* booking.charge(userId, 1_000, "top-up")
        assert.deepStrictEqual(yield* booking.charge(userId, 1_000, "top-up"), first)
        yield* advance(Limits.idempotencyRetentionSeconds * 1000)
        const second = yield* booking.charge(userId, 1_000, "top-up")
        assert.notStrictEqual(second.chargeId, first.chargeId)
        assert.strictEqual(yield* booking.balance(userId), 2_000)
      })
    ))

  it("tidies at most one batch per call, so no call stalls on a backlog", () =>
    run(
      Effect.gen(function* () {
        const booking = yield* Booking
        const users = yield* Effect.forEach(Array.from({ length: Limits.queueTidyBatchMax + 10 }), () => newUser)
        for (const userId of users) yield* booking.charge(userId, 1_000, "k")
        yield* advance(Limits.idempotencyRetentionSeconds * 1000)
        // The first begin after the retention forgets one batch; the records left still replay.
        const late = users.at(-1)!
        const replay = yield* booking.charge(late, 1_000, "k")
        assert.strictEqual(replay.balanceKrw, 1_000)
        yield* booking.charge(users[0]!, 1_000, "fresh")
        const anew = yield* booking.charge(late, 1_000, "k")
        assert.strictEqual(anew.balanceKrw, 2_000)
      })
    ))
})
