/**
 * Contract cases of the queue (L5) when more entries run out at one instant
 * than one call's tidy-up ends (`Limits.queueTidyBatchMax`): every call that
 * reads an active entry whose window ran out (`activeUntil <= now`), or a
 * waiting or pending entry not seen for the grace (`lastSeen <= now -
 * waitingGraceSeconds`), answers it ended, whatever the tidy-up left.
 *
 * @since 0.3.0
 */
import { Booking, Limits, type QueueTicket, sightingMsOf, type UserId } from "@boxoffice/core"
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
    it(
      "each call that reads a run-out window ends it, and the freed slots admit the next joiners at once",
      () =>
        Effect.runPromise(
          Effect.scoped(
            Effect.provide(
              Effect.gen(function* () {
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
                const byToken = users
                  .map((userId, i) => ({ userId, ticket: tickets[i]! }))
                  .sort((a, b) => (a.ticket.entry.tokenId < b.ticket.entry.tokenId ? 1 : -1))
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
                  polled
                    .filter((entry) => entry.status !== "expired" || entry.activeUntil !== null)
                    .map((entry) => entry.tokenId),
                  []
                )
                // The rejoin replaced the ended entry: its token names no entry now.
                const replaced = yield* Effect.result(
                  booking.queueStatus(rejoiner!.userId, rejoiner!.ticket.queueToken)
                )
                assert.strictEqual(
                  Result.isFailure(replaced) ? replaced.failure._tag : "succeeded",
                  "QueueTokenInvalid"
                )
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
            )
          )
        ),
      60_000
    )
  })
}

/** The user's old token names no entry: a rejoin replaced the ended entry it named. */
const replacedToken = (userId: UserId, queueToken: string) =>
  Effect.gen(function* () {
    const replaced = yield* Effect.result(Booking.use((booking) => booking.queueStatus(userId, queueToken)))
    assert.strictEqual(Result.isFailure(replaced) ? replaced.failure._tag : "succeeded", "QueueTokenInvalid")
  })

/**
 * More waiters (or pending users, before the opening) than two calls tidy join at one instant; all but a few stop
 * polling, and the clock moves to the end of their grace. Returns the few who polled, in join order (before the
 * opening, in the order made), and the two silent ones that a store tidying by (last seen, token id), as a sorted set
 * does, leaves last.
 */
const lineWithSilentWaiters = (opensInMs: number | null) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const startMs = yield* nowMs
    const concert = yield* createConcert({
      queue: { maxActive: 1, activeSeconds: 600 },
      ...(opensInMs === null ? {} : { opensAt: DateTime.makeUnsafe(startMs + opensInMs) })
    })
    const state = opensInMs === null ? "waiting" : "pending"
    // Once open, a holder fills the one slot for longer than the grace: nobody is admitted, and places only move up.
    if (opensInMs === null) {
      assert.strictEqual((yield* booking.joinQueue(yield* newUser, concert.concertId)).entry.status, "active")
    }
    const count = 2 * Limits.queueTidyBatchMax + 200
    const users = yield* Effect.forEach(Array.from({ length: count + 5 }), () => newUser)
    const tickets = yield* Effect.forEach(users, (userId) => booking.joinQueue(userId, concert.concertId), {
      concurrency: 64
    })
    const byPlace = users
      .map((userId, i) => ({ userId, ticket: tickets[i]! }))
      .sort((a, b) => a.ticket.entry.joinSequence - b.ticket.entry.joinSequence)
    assert.deepStrictEqual(
      byPlace.map(({ ticket }) => [ticket.created, ticket.entry.status, ticket.entry.position]),
      byPlace.map((_, i) => [true, state, opensInMs === null ? i + 1 : null])
    )
    // Five keep polling: the first, the last and three between. The rest never call again.
    const keptAt = [0, 550, 1100, 1650, count + 4]
    const keepers = keptAt.map((i) => byPlace[i]!)
    const silent = byPlace.filter((_, i) => !keptAt.includes(i))
    // To a millisecond before the grace ends, counted from the end of the joins' sighting step (`sightingMsOf`).
    const sightedMs = sightingMsOf(Math.max(...tickets.map((ticket) => DateTime.toEpochMillis(ticket.entry.joinedAt))))
    const beforeMs = yield* nowMs
    yield* StoreClock.use((clock) => clock.advance(sightedMs + Limits.waitingGraceSeconds * 1000 - 1 - beforeMs))
    for (const [i, { ticket, userId }] of keepers.entries()) {
      const entry = yield* booking.queueStatus(userId, ticket.queueToken)
      assert.deepStrictEqual([entry.status, entry.position], [state, opensInMs === null ? keptAt[i]! + 1 : null])
    }
    // A waiter counts as gone once last sighted <= now - grace: at the grace itself, every silent one is.
    yield* StoreClock.use((clock) => clock.advance(1))
    // Greatest token id first: a store that tidies by (last seen, token id) leaves those last, so each of the next
    // two calls reads an entry past the grace that its own tidy-up left.
    const [poller, joiner] = [...silent].sort((a, b) => (a.ticket.entry.tokenId < b.ticket.entry.tokenId ? 1 : -1))
    return { concert, state, keepers, silent, poller: poller!, joiner: joiner! }
  })

/** A rejoin makes a new entry; once open, behind every earlier join. */
const assertRejoined = (rejoined: QueueTicket, old: QueueTicket, state: string, afterSequence: number) => {
  assert.isTrue(rejoined.created)
  assert.notStrictEqual(rejoined.entry.tokenId, old.entry.tokenId)
  assert.strictEqual(rejoined.entry.status, state)
  if (state === "waiting") assert.isAbove(rejoined.entry.joinSequence, afterSequence)
}

/**
 * The steps both cases share, at the end of the silent users' grace: the poller's poll answers expired and their
 * join makes a new entry; the joiner's join, which reads their old entry, makes one too; every other silent user's
 * poll answers expired. Returns those still in line: the keepers in join order, then the two rejoins.
 */
const silentEndOnRead = (opensInMs: number | null) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const { concert, state, keepers, silent, poller, joiner } = yield* lineWithSilentWaiters(opensInMs)
    const lastSequence = Math.max(...[...keepers, ...silent].map(({ ticket }) => ticket.entry.joinSequence))
    // The poll reads its own entry: past the grace, so it ended.
    const polled = yield* booking.queueStatus(poller.userId, poller.ticket.queueToken)
    assert.deepStrictEqual([polled.status, polled.position, polled.etaSeconds], ["expired", null, null])
    const pollerAgain = yield* booking.joinQueue(poller.userId, concert.concertId)
    assertRejoined(pollerAgain, poller.ticket, state, lastSequence)
    // The join reads the user's entry: past the grace, so the join makes a new entry.
    const joinerAgain = yield* booking.joinQueue(joiner.userId, concert.concertId)
    assertRejoined(joinerAgain, joiner.ticket, state, pollerAgain.entry.joinSequence)
    yield* replacedToken(poller.userId, poller.ticket.queueToken)
    yield* replacedToken(joiner.userId, joiner.ticket.queueToken)
    const rest = silent.filter((s) => s !== poller && s !== joiner)
    const restNow = yield* Effect.forEach(
      rest,
      ({ ticket, userId }) => booking.queueStatus(userId, ticket.queueToken),
      { concurrency: 64 }
    )
    assert.deepStrictEqual(
      restNow.filter((entry) => entry.status !== "expired").map((entry) => entry.tokenId),
      []
    )
    const line = [
      ...keepers,
      { userId: poller.userId, ticket: pollerAgain },
      { userId: joiner.userId, ticket: joinerAgain }
    ]
    return { concert, line }
  })

/** The status of each of `line`, one call after another. */
const statusesOf = (line: ReadonlyArray<{ readonly userId: UserId; readonly ticket: QueueTicket }>) =>
  Booking.use((booking) => Effect.forEach(line, ({ ticket, userId }) => booking.queueStatus(userId, ticket.queueToken)))

/**
 * Registers the cases of waiters and pending users who stop polling with vitest for `adapter`; the contract suite
 * calls it among its queue tests, beside {@link queueWindowCases}.
 *
 * @category suites
 */
export const queueGraceCases = (adapter: AdapterUnderTest): void => {
  describe("more waiters stop polling at once than one call tidies", () => {
    it(
      "the poll or join that reads a waiter past the grace ends it; rejoins go to the back, pollers keep their order",
      () =>
        Effect.runPromise(
          Effect.scoped(
            Effect.provide(
              Effect.gen(function* () {
                const { concert, line } = yield* silentEndOnRead(null)
                // Those who polled keep their order, at the front now, and the two rejoins are behind them.
                const places = yield* statusesOf(line)
                assert.deepStrictEqual(
                  places.map((entry) => [entry.status, entry.position]),
                  line.map((_, i) => ["waiting" as const, i + 1])
                )
                const { queue } = yield* Booking.use((booking) => booking.saleReport(concert.concertId))
                assert.deepStrictEqual([queue.pending, queue.waiting, queue.active], [0, line.length, 1])
              }),
              harnessLayer(adapter)
            )
          )
        ),
      60_000
    )

    it(
      "before the opening, the poll or join that reads a pending user past the grace ends it; the rejoin is pending",
      () =>
        Effect.runPromise(
          Effect.scoped(
            Effect.provide(
              Effect.gen(function* () {
                // The sale opens 100 s after the silent users' grace ends.
                const { concert, line } = yield* silentEndOnRead(Limits.waitingGraceSeconds * 1000 + 100_000)
                assert.deepStrictEqual(
                  (yield* statusesOf(line)).map((entry) => entry.status),
                  line.map(() => "pending")
                )
                const before = yield* Booking.use((booking) => booking.saleReport(concert.concertId))
                assert.strictEqual(before.queue.pending, line.length)
                // At the opening, only those still pending are drawn: one is admitted, the rest wait in the places drawn.
                yield* StoreClock.use((clock) => clock.advance(100_000))
                const drawn = yield* statusesOf(line)
                assert.deepStrictEqual(
                  drawn.map((entry) => (entry.status === "active" ? 0 : entry.position)).sort((a, b) => a! - b!),
                  line.map((_, i) => i)
                )
                const { queue } = yield* Booking.use((booking) => booking.saleReport(concert.concertId))
                assert.deepStrictEqual([queue.pending, queue.waiting, queue.active], [0, line.length - 1, 1])
              }),
              harnessLayer(adapter)
            )
          )
        ),
      60_000
    )
  })
}
