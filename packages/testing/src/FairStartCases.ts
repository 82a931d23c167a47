/**
 * Contract cases of the fair start: before `opensAt` a join is pending and
 * nobody is admitted; at the opening the store draws the pre-queue once,
 * ahead of every later join, and both caps then apply as usual.
 *
 * @since 0.3.0
 */
import { Booking, type Concert, QueueSettingsChange, type UserId } from "@boxoffice/core"
import { DateTime, Effect, Result } from "effect"
import { assert } from "vitest"
import { createConcert, type HarnessServices, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"

/** One case: a name and a body that fails when the law it checks is broken. @category models */
export interface FairStartCase {
  readonly name: string
  readonly body: Effect.Effect<void, unknown, HarnessServices>
}

const advance = (milliseconds: number) => StoreClock.use((clock) => clock.advance(milliseconds))
const nowMs = StoreClock.use((clock) => clock.nowMs)

/** A concert whose sale opens `opensInMs` from now, and `count` users who joined before. */
const preQueue = (count: number, opensInMs: number, queue: NonNullable<Parameters<typeof createConcert>[0]>["queue"]) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const concert: Concert = yield* createConcert({
      opensAt: DateTime.makeUnsafe((yield* nowMs) + opensInMs),
      ...(queue === undefined ? {} : { queue })
    })
    const users = yield* Effect.forEach(Array.from({ length: count }), () => newUser)
    const tickets = yield* Effect.forEach(users, (userId) => booking.joinQueue(userId, concert.concertId))
    return { booking, concert, users, tickets }
  })

const statusesOf = (users: ReadonlyArray<UserId>, tickets: ReadonlyArray<{ readonly queueToken: string }>) =>
  Effect.forEach(users, (userId, i) => Booking.use((b) => b.queueStatus(userId, tickets[i]!.queueToken)))

/**
 * The cases, run by the contract suite on every queue adapter.
 *
 * @example
 * ```ts
 * import { fairStartCases } from "@boxoffice/testing"
 * fairStartCases.map((c) => c.name)
 * ```
 * @category suites
 */
export const fairStartCases: ReadonlyArray<FairStartCase> = [
  {
    name: "before the opening a join is pending, with no place, and nobody is admitted",
    body: Effect.gen(function* () {
      const { booking, concert, users, tickets } = yield* preQueue(5, 60_000, { maxActive: 2 })
      const opensAt = concert.policy.queue.opensAt!
      for (const ticket of tickets) {
        assert.isTrue(ticket.created)
        assert.deepStrictEqual(
          [ticket.entry.status, ticket.entry.position, ticket.entry.etaSeconds, ticket.entry.activeUntil],
          ["pending", null, null, null]
        )
        assert.strictEqual(DateTime.toEpochMillis(ticket.entry.opensAt!), DateTime.toEpochMillis(opensAt))
      }
      const again = yield* booking.joinQueue(users[0]!, concert.concertId)
      assert.isFalse(again.created)
      assert.strictEqual(again.queueToken, tickets[0]!.queueToken)
      assert.strictEqual(again.entry.status, "pending")
      const refused = yield* Effect.result(
        booking.hold(users[0]!, tickets[0]!.queueToken, concert.dates[0]!.dateId, [1])
      )
      assert.isTrue(Result.isFailure(refused))
      assert.strictEqual(Result.isFailure(refused) ? refused.failure._tag : null, "QueueNotAdmitted")
      // One millisecond before the opening, nothing has moved.
      yield* advance(59_999)
      const statuses = yield* statusesOf(users, tickets)
      assert.deepStrictEqual(
        statuses.map((e) => e.status),
        ["pending", "pending", "pending", "pending", "pending"]
      )
      const report = yield* booking.saleReport(concert.concertId)
      assert.deepStrictEqual(
        [report.queue.pending, report.queue.waiting, report.queue.active, report.queue.admittedLastMinute],
        [5, 0, 0, 0]
      )
    })
  },
  {
    name: "at the opening the pre-queue is drawn into the line, ahead of every later join, and the caps apply",
    body: Effect.gen(function* () {
      const { booking, concert, users, tickets } = yield* preQueue(6, 60_000, { maxActive: 2 })
      yield* advance(60_000)
      // The late join is the first call after the opening: the draw runs before it lines up.
      const lateUser = yield* newUser
      const late = yield* booking.joinQueue(lateUser, concert.concertId)
      assert.deepStrictEqual([late.entry.status, late.entry.position], ["waiting", 5])
      const drawn = yield* statusesOf(users, tickets)
      assert.strictEqual(drawn.filter((e) => e.status === "active").length, 2)
      const waiting = drawn.filter((e) => e.status === "waiting")
      assert.deepStrictEqual(waiting.map((e) => e.position).sort(), [1, 2, 3, 4])
      const sequences = drawn.map((e) => e.joinSequence)
      assert.strictEqual(new Set(sequences).size, 6, "each drawn entry has its own place")
      assert.isTrue(
        sequences.every((s) => s > 0 && s < late.entry.joinSequence),
        "the drawn stand ahead of the late join"
      )
      // The two admitted hold the two first drawn places; the waiters follow in drawn order.
      const byPlace = [...drawn].sort((a, b) => a.joinSequence - b.joinSequence)
      assert.deepStrictEqual(
        byPlace.map((e) => e.status),
        ["active", "active", "waiting", "waiting", "waiting", "waiting"]
      )
      assert.deepStrictEqual(
        byPlace.slice(2).map((e) => e.position),
        [1, 2, 3, 4]
      )
      const report = yield* booking.saleReport(concert.concertId)
      assert.deepStrictEqual([report.queue.pending, report.queue.waiting, report.queue.active], [0, 5, 2])
    })
  },
  {
    name: "the draw happens once, however many calls arrive together at the opening",
    body: Effect.gen(function* () {
      const { booking, users, tickets } = yield* preQueue(30, 1_000, { maxActive: 1 })
      yield* advance(1_000)
      const together = yield* Effect.forEach(
        users,
        (userId, i) => booking.queueStatus(userId, tickets[i]!.queueToken),
        { concurrency: "unbounded" }
      )
      const sequences = together.map((e) => e.joinSequence)
      assert.strictEqual(new Set(sequences).size, 30)
      assert.isTrue(sequences.every((s) => s > 0))
      const after = yield* statusesOf(users, tickets)
      assert.deepStrictEqual(
        after.map((e) => e.joinSequence),
        sequences,
        "a later call does not draw again"
      )
      assert.deepStrictEqual(
        after
          .filter((e) => e.status === "waiting")
          .map((e) => e.position)
          .sort((a, b) => a! - b!),
        Array.from({ length: 29 }, (_, i) => i + 1)
      )
      assert.strictEqual(after.filter((e) => e.status === "active").length, 1)
    })
  },
  {
    name: "a pending user who leaves, or stops polling, is not drawn",
    body: Effect.gen(function* () {
      // Opening in 10 minutes: past the 300-second grace of a user who never polls.
      const { booking, concert, users, tickets } = yield* preQueue(3, 600_000, { maxActive: 5 })
      const [leaver, poller, silent] = users
      yield* booking.leaveQueue(leaver!, tickets[0]!.queueToken)
      assert.strictEqual((yield* booking.queueStatus(leaver!, tickets[0]!.queueToken)).status, "expired")
      yield* advance(290_000)
      assert.strictEqual((yield* booking.queueStatus(poller!, tickets[1]!.queueToken)).status, "pending")
      yield* advance(290_000)
      assert.strictEqual((yield* booking.queueStatus(poller!, tickets[1]!.queueToken)).status, "pending")
      assert.strictEqual((yield* booking.queueStatus(silent!, tickets[2]!.queueToken)).status, "expired")
      assert.strictEqual((yield* booking.saleReport(concert.concertId)).queue.pending, 1)
      yield* advance(20_000)
      assert.strictEqual((yield* booking.queueStatus(poller!, tickets[1]!.queueToken)).status, "active")
      const report = yield* booking.saleReport(concert.concertId)
      assert.deepStrictEqual([report.queue.pending, report.queue.waiting, report.queue.active], [0, 0, 1])
    })
  },
  {
    name: "an opening in the past means open now",
    body: Effect.gen(function* () {
      const { concert, tickets } = yield* preQueue(2, -1_000, { maxActive: 1 })
      assert.deepStrictEqual(
        tickets.map((t) => [t.entry.status, t.entry.position]),
        [
          ["active", null],
          ["waiting", 1]
        ]
      )
      assert.strictEqual(
        DateTime.toEpochMillis(tickets[1]!.entry.opensAt!),
        DateTime.toEpochMillis(concert.policy.queue.opensAt!)
      )
      const open = yield* createConcert()
      const ticket = yield* Booking.use((b) => Effect.flatMap(newUser, (userId) => b.joinQueue(userId, open.concertId)))
      assert.isNull(ticket.entry.opensAt)
    })
  },
  {
    name: "a queue paused at the opening still draws, admits nobody, and resumes in drawn order under the rate cap",
    body: Effect.gen(function* () {
      const { booking, concert, users, tickets } = yield* preQueue(4, 5_000, { maxActive: 10, admitPerMinute: 2 })
      yield* booking.configureQueue(concert.concertId, new QueueSettingsChange({ paused: true }))
      yield* advance(5_000)
      const drawn = yield* statusesOf(users, tickets)
      assert.deepStrictEqual(
        drawn.map((e) => e.status),
        ["waiting", "waiting", "waiting", "waiting"]
      )
      assert.deepStrictEqual(drawn.map((e) => e.position).sort(), [1, 2, 3, 4])
      yield* booking.configureQueue(concert.concertId, new QueueSettingsChange({ paused: false }))
      const resumed = yield* statusesOf(users, tickets)
      const byPlace = [...resumed].sort((a, b) => a.joinSequence - b.joinSequence)
      assert.deepStrictEqual(
        byPlace.map((e) => e.status),
        ["active", "active", "waiting", "waiting"]
      )
      assert.deepStrictEqual(
        byPlace.map((e) => e.joinSequence),
        [...drawn].map((e) => e.joinSequence).sort((a, b) => a - b)
      )
    })
  }
]
