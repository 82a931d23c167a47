/**
 * Contract cases of a sale that knows it is sold out: every seat of every
 * date that has not started is sold, seats only held do not count. The
 * payment that sells the last seat marks the line before it ends its own
 * token, so its end admits nobody; from then on a join is refused
 * (`SoldOut`) and makes no entry, pending and waiting entries read
 * `sold-out`, nobody more is admitted, active users keep their windows, the
 * event stream sends `sold-out` and ends, and the concert list says so. A
 * mark that failed is set by the instance's next call; a concert sold out as
 * a date starts is caught by a poll; the mark can be cleared at the port, and
 * the line then goes on as it was.
 *
 * @since 0.5.0
 */
import {
  Booking,
  type Concert,
  type ConcertId,
  Queue,
  type QueueEntry,
  QueuePolicy,
  type QueueTokenHolder,
  QueueTokenId,
  Unavailable,
  type UserId,
  newId
} from "@boxoffice/core"
import { DateTime, Effect, Fiber, Layer, Option, Result, Stream } from "effect"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { createConcert, harnessLayer, type HarnessServices, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"
import type { StoreStall } from "./StoreStall.ts"

const advance = (milliseconds: number) => StoreClock.use((clock) => clock.advance(milliseconds))

/** A second passes for the engine, and a moment for the stores' own calls to land. */
const tick = Effect.andThen(
  advance(1_000),
  Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
)

const failureTag = <A, E extends { readonly _tag: string }>(result: Result.Result<A, E>) =>
  Result.isFailure(result) ? result.failure._tag : "succeeded"

/** A concert of one date of `seatCount` seats at 1,000 each, a month away. */
const smallConcert = (seatCount: number, maxActive: number) =>
  Effect.gen(function* () {
    const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
    return yield* createConcert({
      dates: [{ startsAt: DateTime.makeUnsafe(nowMs + 30 * 86_400_000), priceKrw: 1_000, seatCount }],
      queue: { maxActive },
      maxSeatsPerUser: seatCount
    })
  })

/** `count` users who joined `concert` in order, with 10,000 KRW each, and their tickets. */
const joiners = (concert: Concert, count: number) =>
  Effect.forEach(Array.from({ length: count }), () =>
    Effect.gen(function* () {
      const booking = yield* Booking
      const userId = yield* newUser
      yield* booking.charge(userId, 10_000, null)
      const ticket = yield* booking.joinQueue(userId, concert.concertId)
      return { userId, token: ticket.queueToken, tokenId: ticket.entry.tokenId, joined: ticket.entry }
    })
  )

const statusOf = (user: { readonly userId: UserId; readonly token: string }) =>
  Effect.map(
    Booking.use((booking) => booking.queueStatus(user.userId, user.token)),
    (entry) => [entry.status, entry.position] as const
  )

const soldOutOf = (concertId: ConcertId) =>
  Effect.map(
    Booking.use((booking) => booking.listConcertsForSale),
    (listings) => listings.find((listing) => listing.concert.concertId === concertId)!.soldOut
  )

/** Holds `seats` of the concert's first date for `user` and pays. */
const buy = (concert: Concert, user: { readonly userId: UserId; readonly token: string }, seats: Array<number>) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const hold = yield* booking.hold(user.userId, user.token, concert.dates[0]!.dateId, seats)
    return yield* booking.pay(user.userId, user.token, hold.holdId, null)
  })

/**
 * `effect` run by a second engine over the same stores, whose queue fails to
 * mark a line sold out `failures` times, as a queue store away at the moment
 * of the last sale. (Its background retries wait on the suites' manual clock,
 * which these cases do not move meanwhile.)
 */
const withQueueThatFailsToMark = <A, E, R>(failures: number, effect: Effect.Effect<A, E, R>) =>
  Effect.provide(
    effect,
    Layer.fresh(Booking.layer).pipe(
      Layer.provide(
        Layer.effect(
          Queue,
          Queue.use((queue) => {
            let failed = 0
            return Effect.succeed(
              Queue.of({
                ...queue,
                markSoldOut: (...args) =>
                  failed++ < failures
                    ? Effect.fail(new Unavailable({ store: "queue", cause: new Error("the queue store is away") }))
                    : queue.markSoldOut(...args)
              })
            )
          })
        )
      )
    )
  )

const cases: ReadonlyArray<{
  readonly name: string
  readonly body: Effect.Effect<void, unknown, HarnessServices | StoreStall>
}> = [
  {
    name: "the last sale marks the line before its token ends: joins are refused with no entry, waiters read sold-out, nobody more is admitted, the active keep their windows",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* smallConcert(2, 2)
      const [buyer, other, first, second] = yield* joiners(concert, 4)
      assert.deepStrictEqual(yield* statusOf(first!), ["waiting", 1])
      assert.isFalse(yield* soldOutOf(concert.concertId))
      yield* buy(concert, buyer!, [1, 2])
      // The buyer's end freed a slot, and the line admitted nobody into it.
      assert.deepStrictEqual(yield* statusOf(first!), ["sold-out", null])
      assert.deepStrictEqual(yield* statusOf(second!), ["sold-out", null])
      assert.deepStrictEqual(yield* statusOf(buyer!), ["expired", null])
      assert.deepStrictEqual(yield* statusOf(other!), ["active", null])
      const report = yield* booking.saleReport(concert.concertId)
      assert.deepStrictEqual([report.queue.active, report.queue.waiting], [1, 2])
      assert.isTrue(yield* soldOutOf(concert.concertId))
      // Joins are refused: a newcomer's, a waiter's again, the buyer's again. Nobody got an entry.
      const newcomer = yield* newUser
      const refused = yield* Effect.forEach([newcomer, first!.userId, buyer!.userId], (userId) =>
        Effect.result(booking.joinQueue(userId, concert.concertId))
      )
      assert.deepStrictEqual(refused.map(failureTag), ["SoldOut", "SoldOut", "SoldOut"])
      assert.strictEqual(
        Result.isFailure(refused[0]!) ? (refused[0].failure as { readonly code?: string }).code : "",
        "sold-out"
      )
      const after = yield* booking.saleReport(concert.concertId)
      assert.deepStrictEqual([after.queue.active, after.queue.waiting], [1, 2])
      // A waiter's token acts nowhere; the active user keeps the window, and the same token answers a join.
      assert.strictEqual(
        failureTag(yield* Effect.result(booking.listDates(first!.userId, first!.token, concert.concertId))),
        "SoldOut"
      )
      const again = yield* booking.joinQueue(other!.userId, concert.concertId)
      assert.deepStrictEqual([again.created, again.queueToken, again.entry.status], [false, other!.token, "active"])
      assert.strictEqual(
        failureTag(yield* Effect.result(booking.hold(other!.userId, other!.token, concert.dates[0]!.dateId, [1]))),
        "SeatUnavailable"
      )
      // The other active user's window running out admits nobody either. (The waiter polls, to keep a place.)
      for (let polled = 0; polled < concert.policy.queue.activeSeconds; polled += 200) {
        yield* advance(200_000)
        assert.deepStrictEqual(yield* statusOf(first!), ["sold-out", null])
      }
      assert.deepStrictEqual(yield* statusOf(other!), ["expired", null])
      const last = yield* booking.saleReport(concert.concertId)
      assert.deepStrictEqual([last.queue.active, last.queue.admittedLastMinute], [0, 0])
    })
  },
  {
    name: "a seat still held keeps the concert open, and its hold's expiry makes it available, not sold out",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* smallConcert(2, 2)
      const [buyer, holder, waiter] = yield* joiners(concert, 3)
      const held = yield* booking.hold(holder!.userId, holder!.token, concert.dates[0]!.dateId, [2])
      yield* buy(concert, buyer!, [1])
      // Seat 2 is held, not sold: the buyer's end admits the waiter, and joins go on.
      assert.deepStrictEqual(yield* statusOf(waiter!), ["active", null])
      assert.isFalse(yield* soldOutOf(concert.concertId))
      const late = yield* joiners(concert, 1)
      assert.deepStrictEqual(yield* statusOf(late[0]!), ["waiting", 1])
      // The hold expires after the last other sale: seat 2 is for sale again, and the line stays open.
      yield* advance(concert.policy.holdSeconds * 500)
      assert.deepStrictEqual(yield* statusOf(late[0]!), ["waiting", 1])
      yield* advance(concert.policy.holdSeconds * 500)
      assert.strictEqual((yield* booking.getHold(holder!.userId, held.holdId)).status, "expired")
      assert.isFalse(yield* soldOutOf(concert.concertId))
      assert.deepStrictEqual(yield* statusOf(late[0]!), ["waiting", 1])
      assert.strictEqual((yield* joiners(concert, 1))[0]!.joined.status, "waiting")
      // Whoever buys it sells the concert out.
      yield* buy(concert, waiter!, [2])
      assert.isTrue(yield* soldOutOf(concert.concertId))
      assert.deepStrictEqual(yield* statusOf(late[0]!), ["sold-out", null])
    })
  },
  {
    name: "the event stream sends sold-out and ends",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* smallConcert(1, 1)
      const [buyer, waiter] = yield* joiners(concert, 2)
      const events = yield* Effect.forkChild(Stream.runCollect(booking.queueEvents(waiter!.token)))
      yield* tick
      yield* buy(concert, buyer!, [1])
      // The stream polls once a second: it sees the mark, sends it and ends.
      for (let i = 0; i < 20 && events.pollUnsafe() === undefined; i++) yield* tick
      const seen = (yield* Fiber.join(events)) as ReadonlyArray<QueueEntry>
      assert.strictEqual(seen[0]!.status, "waiting")
      assert.strictEqual(seen.at(-1)!.status, "sold-out")
      assert.isTrue(seen.slice(0, -1).every((entry) => entry.status === "waiting"))
    })
  },
  {
    name: "two last payments at once: whichever commits last marks the line",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* smallConcert(2, 2)
      const [a, b, , waiter] = yield* joiners(concert, 4)
      const holds = yield* Effect.forEach(
        [
          [a!, 1],
          [b!, 2]
        ] as const,
        ([user, seat]) => booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [seat])
      )
      yield* Effect.forEach(
        [a!, b!],
        (user, index) => booking.pay(user.userId, user.token, holds[index]!.holdId, null),
        { concurrency: "unbounded" }
      )
      // The first to end may have admitted the first waiter, while the other's seat was still held; the second
      // waiter, never.
      assert.deepStrictEqual(yield* statusOf(waiter!), ["sold-out", null])
      assert.strictEqual(
        failureTag(yield* Effect.result(booking.joinQueue(yield* newUser, concert.concertId))),
        "SoldOut"
      )
      assert.isTrue(yield* soldOutOf(concert.concertId))
    })
  },
  {
    name: "a mark that failed with the last sale is set by the next call, before it admits anyone",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* smallConcert(1, 1)
      const [buyer, waiter] = yield* joiners(concert, 2)
      const outcome = yield* withQueueThatFailsToMark(
        1,
        Effect.gen(function* () {
          const engine = yield* Booking
          const receipt = yield* buy(concert, buyer!, [1])
          // The payment stands; its token is not ended before the mark is, so its slot stays taken.
          const afterPayment = yield* (yield* Queue).status(concert.concertId, waiter!, concert.policy.queue)
          const refused = yield* Effect.result(engine.joinQueue(yield* newUser, concert.concertId))
          return { receipt, afterPayment, refused }
        })
      )
      assert.deepStrictEqual(outcome.receipt.seatNumbers, [1])
      assert.strictEqual(Option.getOrThrow(outcome.afterPayment).status, "waiting")
      assert.strictEqual(failureTag(outcome.refused), "SoldOut")
      assert.deepStrictEqual(yield* statusOf(waiter!), ["sold-out", null])
      assert.strictEqual((yield* booking.saleReport(concert.concertId)).queue.admittedLastMinute, 1)
    })
  },
  {
    name: "a concert that sells out as a date starts is marked by the next poll",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
      const concert = yield* createConcert({
        dates: [
          { startsAt: DateTime.makeUnsafe(nowMs + 3_600_000), priceKrw: 1_000, seatCount: 2 },
          { startsAt: DateTime.makeUnsafe(nowMs + 30 * 86_400_000), priceKrw: 1_000, seatCount: 1 }
        ],
        // The waiter admitted below keeps the one slot all along.
        queue: { maxActive: 1, activeSeconds: 86_400 }
      })
      const [buyer, waiter] = yield* joiners(concert, 2)
      const hold = yield* booking.hold(buyer!.userId, buyer!.token, concert.dates[1]!.dateId, [1])
      yield* booking.pay(buyer!.userId, buyer!.token, hold.holdId, null)
      // The first date still has seats: the waiter is admitted, and nothing is sold out.
      assert.deepStrictEqual(yield* statusOf(waiter!), ["active", null])
      assert.isFalse(yield* soldOutOf(concert.concertId))
      const later = yield* joiners(concert, 1)
      // Once the first date has started, only sold seats are left. (The joiner polls, so as to keep a place.)
      for (let i = 0; i < 18; i++) {
        yield* advance(200_000)
        assert.deepStrictEqual(yield* statusOf(later[0]!), i < 17 ? ["waiting", 1] : ["sold-out", null])
      }
      assert.isTrue(yield* soldOutOf(concert.concertId))
      assert.strictEqual(
        failureTag(yield* Effect.result(booking.joinQueue(yield* newUser, concert.concertId))),
        "SoldOut"
      )
    })
  },
  {
    name: "at the port: a mark admits nobody and refuses joins; clearing it puts waiters back in place and admits at once",
    body: Effect.gen(function* () {
      const queue = yield* Queue
      const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 600, admitPerMinute: null })
      const concertId = (yield* createConcert()).concertId
      const join = (userId: UserId) =>
        Effect.flatMap(newId(QueueTokenId), (tokenId) =>
          Effect.result(queue.join({ tokenId, concertId, userId, policy }))
        )
      const status = (holder: QueueTokenHolder) =>
        Effect.map(queue.status(concertId, holder, policy), (found) => {
          const entry = Option.getOrThrow(found)
          return [entry.status, entry.position] as const
        })
      const users = yield* Effect.forEach([1, 2, 3], () => newUser)
      const tickets = yield* Effect.forEach(users, (userId) =>
        Effect.map(join(userId), (result) => Result.getOrThrow(result).entry)
      )
      assert.deepStrictEqual(
        tickets.map((entry) => entry.status),
        ["active", "waiting", "waiting"]
      )
      yield* queue.markSoldOut(concertId, policy)
      yield* queue.markSoldOut(concertId, policy)
      assert.deepStrictEqual(yield* status(tickets[1]!), ["sold-out", null])
      // Ending the active entry frees its slot; nobody takes it.
      yield* queue.end(concertId, tickets[0]!, policy)
      assert.deepStrictEqual(yield* status(tickets[1]!), ["sold-out", null])
      assert.deepStrictEqual(yield* status(tickets[2]!), ["sold-out", null])
      assert.strictEqual(failureTag(yield* join(yield* newUser)), "SoldOut")
      assert.strictEqual(failureTag(yield* join(users[1]!)), "SoldOut")
      const marked = yield* queue.stats(concertId, policy)
      assert.deepStrictEqual([marked.active, marked.waiting], [0, 2])
      // Seats came back: the front waiter is admitted at once, the next keeps its place.
      yield* queue.clearSoldOut(concertId, policy)
      yield* queue.clearSoldOut(concertId, policy)
      assert.deepStrictEqual(yield* status(tickets[1]!), ["active", null])
      assert.deepStrictEqual(yield* status(tickets[2]!), ["waiting", 1])
      const newcomer = yield* join(yield* newUser)
      assert.deepStrictEqual(
        [Result.getOrThrow(newcomer).entry.status, Result.getOrThrow(newcomer).entry.position],
        ["waiting", 2]
      )
    })
  },
  {
    name: "at the port: pending entries read sold-out while the line is marked, and pending again once cleared",
    body: Effect.gen(function* () {
      const queue = yield* Queue
      const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
      const policy = new QueuePolicy({
        maxActive: 1,
        activeSeconds: 600,
        admitPerMinute: null,
        opensAt: DateTime.makeUnsafe(nowMs + 60_000)
      })
      const concertId = (yield* createConcert()).concertId
      const userId = yield* newUser
      const { entry } = yield* queue.join({ tokenId: yield* newId(QueueTokenId), concertId, userId, policy })
      assert.strictEqual(entry.status, "pending")
      yield* queue.markSoldOut(concertId, policy)
      const marked = Option.getOrThrow(yield* queue.status(concertId, entry, policy))
      assert.deepStrictEqual([marked.status, marked.position], ["sold-out", null])
      const refused = yield* Effect.result(
        queue.join({ tokenId: yield* newId(QueueTokenId), concertId, userId: yield* newUser, policy })
      )
      assert.strictEqual(failureTag(refused), "SoldOut")
      yield* queue.clearSoldOut(concertId, policy)
      assert.strictEqual(Option.getOrThrow(yield* queue.status(concertId, entry, policy)).status, "pending")
    })
  }
]

/**
 * Registers the cases with vitest for `adapter`; the contract suite calls it
 * among its queue tests.
 *
 * @example
 * ```ts
 * import { soldOutCases } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * soldOutCases(adapter)
 * ```
 * @category suites
 */
export const soldOutCases = (adapter: AdapterUnderTest): void => {
  describe("sold out (L5: nobody is admitted into a sold-out sale)", () => {
    for (const soldOutCase of cases) {
      it(
        soldOutCase.name,
        () => Effect.runPromise(Effect.scoped(Effect.provide(soldOutCase.body, harnessLayer(adapter)))),
        60_000
      )
    }
  })
}
