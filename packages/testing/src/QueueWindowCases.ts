/**
 * Contract case of the queue's active windows (L5) when more of them run out
 * at one instant than one call's tidy-up ends (`Limits.queueTidyBatchMax`):
 * every call that reads an entry whose window ran out (`activeUntil <= now`)
 * answers it ended, whatever the tidy-up left, and the slots are free for
 * the next joiner at once.
 *
 * @since 0.3.0
 */
import { Booking, Limits } from "@boxoffice/core"
import { DateTime, Effect, Result } from "effect"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { createConcert, harnessLayer, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"

const nowMs = StoreClock.use((clock) => clock.nowMs)

/**
 * Registers the case with vitest for `adapter`; the contract suite calls it
 * among its queue tests.
 *
 * @category suites
 */
export const queueWindowCases = (adapter: AdapterUnderTest): void => {
  describe("more windows run out at once than one call tidies", () => {
    it("each call that reads a run-out window ends it, and the freed slots admit the next joiners at once", () =>
      Effect.runPromise(Effect.scoped(Effect.provide(
        Effect.gen(function*() {
          const booking = yield* Booking
          // Two calls each find their own run-out window still among those a batched tidy-up left.
          const count = 2 * Limits.queueTidyBatchMax + 200
          const concert = yield* createConcert({ queue: { maxActive: count, activeSeconds: 600 } })
          const joinedAtMs = yield* nowMs
          const users = yield* Effect.forEach(Array.from({ length: count }), () => newUser)
          const tickets = yield* Effect.forEach(users, (userId) => booking.joinQueue(userId, concert.concertId), {
            concurrency: 64
          })
          const untilMs = joinedAtMs + 600_000
          for (const ticket of tickets) {
            assert.deepStrictEqual(
              [ticket.created, ticket.entry.status, DateTime.toEpochMillis(ticket.entry.activeUntil!)],
              [true, "active", untilMs]
            )
          }
          // A window counts only while activeUntil > now: at activeUntil itself, every one has run out.
          yield* StoreClock.use((clock) => clock.advance(600_000))
          // Greatest token id first: a store that tidies by (activeUntil, token id), as a sorted set does, leaves
          // those last, so the first two calls each read a window its own tidy-up left.
          const byToken = users.map((userId, i) => ({ userId, ticket: tickets[i]! }))
            .sort((a, b) => a.ticket.entry.tokenId < b.ticket.entry.tokenId ? 1 : -1)
          const [rejoiner, firstPoller, ...pollers] = byToken
          // The join reads the user's entry: its window ended, so the join makes a new entry, admitted at once.
          const rejoined = yield* booking.joinQueue(rejoiner!.userId, concert.concertId)
          assert.isTrue(rejoined.created)
          assert.notStrictEqual(rejoined.entry.tokenId, rejoiner!.ticket.entry.tokenId)
          assert.deepStrictEqual(
            [rejoined.entry.status, DateTime.toEpochMillis(rejoined.entry.activeUntil!)],
            ["active", untilMs + 600_000]
          )
          const first = yield* booking.queueStatus(firstPoller!.userId, firstPoller!.ticket.queueToken)
          assert.deepStrictEqual([first.status, first.activeUntil], ["expired", null])
          const polled = yield* Effect.forEach(
            pollers,
            ({ ticket, userId }) => booking.queueStatus(userId, ticket.queueToken),
            { concurrency: 64 }
          )
          assert.deepStrictEqual(
            polled.filter((entry) => entry.status !== "expired" || entry.activeUntil !== null).map((entry) => entry.tokenId),
            []
          )
          // The rejoin replaced the ended entry: its token names no entry now.
          const replaced = yield* Effect.result(booking.queueStatus(rejoiner!.userId, rejoiner!.ticket.queueToken))
          assert.strictEqual(Result.isFailure(replaced) ? replaced.failure._tag : "succeeded", "QueueTokenInvalid")
          const newcomer = yield* booking.joinQueue(yield* newUser, concert.concertId)
          assert.deepStrictEqual(
            [newcomer.created, newcomer.entry.status, DateTime.toEpochMillis(newcomer.entry.activeUntil!)],
            [true, "active", untilMs + 600_000]
          )
          const report = yield* booking.saleReport(concert.concertId)
          assert.deepStrictEqual(
            [report.queue.pending, report.queue.waiting, report.queue.active, report.queue.admittedLastMinute],
            [0, 0, 2, 2]
          )
        }),
        harnessLayer(adapter)
      ))), 60_000)
  })
}
