/**
 * The adapter contract suite: every port operation and error case, run
 * against any adapter set through the same `Booking` use cases.
 *
 * @since 0.1.0
 */
import {
  Booking,
  Catalog,
  ChargeId,
  type Concert,
  ConcertId,
  DateId,
  HoldId,
  IdempotencyClaim,
  IdempotencyRecords,
  Limits,
  newId,
  PaymentId,
  Payments,
  Queue,
  QueueSettingsChange,
  QueueTokenId,
  QueueTokenSigner,
  sightingMsOf,
  type UserId,
  Wallet
} from "@boxoffice/core"
import { DateTime, Effect, Fiber, Option, Result, Stream } from "effect"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { createConcert, harnessLayer, type HarnessServices, newUser } from "./Harness.ts"
import { fairStartCases } from "./FairStartCases.ts"
import { holdFundsCases } from "./HoldFundsCases.ts"
import { lockWaitCases } from "./LockWaitCases.ts"
import { seatClassCases } from "./SeatClassCases.ts"
import { paymentTokenCases } from "./PaymentTokenCases.ts"
import { queueGraceCases, queueWindowCases } from "./QueueWindowCases.ts"
import { eventCases } from "./EventCases.ts"
import { refundCases } from "./RefundCases.ts"
import { soldOutCases } from "./SoldOutCases.ts"
import { StoreClock } from "./StoreClock.ts"
import type { StoreStall } from "./StoreStall.ts"

type Test = Effect.Effect<void, unknown, HarnessServices | StoreStall>

/** Fails the test unless `effect` fails with the error tagged `tag`; returns that error. */
const expectFailure = <A, E extends { readonly _tag: string }, R, T extends E["_tag"]>(
  effect: Effect.Effect<A, E, R>,
  tag: T
): Effect.Effect<Extract<E, { readonly _tag: T }>, never, R> =>
  Effect.flatMap(Effect.result(effect), (result) => {
    if (Result.isSuccess(result)) return Effect.die(new Error(`expected ${tag}, but it succeeded`))
    assert.strictEqual(result.failure._tag, tag)
    return Effect.succeed(result.failure as Extract<E, { readonly _tag: T }>)
  })

const advance = (milliseconds: number) => StoreClock.use((clock) => clock.advance(milliseconds))

/** A user admitted to the concert's queue, with their token. */
const admitted = (concert: Concert) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const userId = yield* newUser
    const ticket = yield* booking.joinQueue(userId, concert.concertId)
    assert.strictEqual(ticket.entry.status, "active")
    return { userId, token: ticket.queueToken }
  })

/** One payment straight through the port, with a fresh payment id and a token of its own, as a Result. */
const payThroughPort = (userId: UserId, holdId: HoldId, concertId: ConcertId) =>
  Effect.flatMap(Effect.all([newId(PaymentId), newId(QueueTokenId)]), ([paymentId, queueTokenId]) =>
    Effect.result(
      Payments.use((payments) =>
        payments.pay({ paymentId, holdId, userId, concertId, queueTokenId, idempotency: null })
      )
    )
  )

/**
 * Registers the contract suite for `adapter` with vitest. Each test builds
 * fresh stores.
 *
 * @example
 * ```ts
 * import { contractSuite } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * contractSuite(adapter)
 * ```
 * @category suites
 */
export const contractSuite = (adapter: AdapterUnderTest): void => {
  const test = (name: string, body: () => Test) =>
    it(name, () => Effect.runPromise(Effect.scoped(Effect.provide(body(), harnessLayer(adapter)))), 60_000)

  describe(`contract suite: ${adapter.name}`, () => {
    describe("Catalog", () => {
      test("saves a concert with its dates and finds them again", () =>
        Effect.gen(function* () {
          const concert = yield* createConcert()
          const catalog = yield* Catalog
          const found = yield* catalog.findConcert(concert.concertId)
          assert.isTrue(Option.isSome(found))
          assert.strictEqual(Option.getOrThrow(found).title, concert.title)
          assert.strictEqual(Option.getOrThrow(found).dates.length, 2)
          const date = yield* catalog.findDate(concert.dates[1]!.dateId)
          assert.strictEqual(Option.getOrThrow(date).priceKrw, 20_000)
          assert.strictEqual(Option.getOrThrow(date).concertId, concert.concertId)
          const all = yield* catalog.listConcerts
          assert.deepStrictEqual(
            all.map((c) => c.concertId),
            [concert.concertId]
          )
        }))

      test("applies the the spec (docs/spec.md) defaults and keeps overrides", () =>
        Effect.gen(function* () {
          const defaults = yield* createConcert()
          assert.deepStrictEqual(
            { ...defaults.policy.queue },
            { maxActive: 100, activeSeconds: 600, admitPerMinute: null }
          )
          assert.strictEqual(defaults.policy.holdSeconds, 300)
          assert.strictEqual(defaults.policy.maxSeatsPerUser, 4)
          const custom = yield* createConcert({ queue: { admitPerMinute: 30 }, holdSeconds: 120, maxSeatsPerUser: 2 })
          assert.strictEqual(custom.policy.queue.admitPerMinute, 30)
          assert.strictEqual(custom.policy.queue.maxActive, 100)
          assert.strictEqual(custom.policy.holdSeconds, 120)
          assert.strictEqual(custom.policy.maxSeatsPerUser, 2)
          // The opening time is kept with the policy, to the millisecond.
          const opensAtMs = (yield* StoreClock.use((c) => c.nowMs)) + 3_600_123
          const opening = yield* createConcert({ opensAt: DateTime.makeUnsafe(opensAtMs) })
          const found = Option.getOrThrow(yield* (yield* Catalog).findConcert(opening.concertId))
          assert.strictEqual(DateTime.toEpochMillis(found.policy.queue.opensAt!), opensAtMs)
          assert.isUndefined(
            Option.getOrThrow(yield* (yield* Catalog).findConcert(custom.concertId)).policy.queue.opensAt
          )
        }))

      test("finds nothing for unknown ids, and the engine says not-found", () =>
        Effect.gen(function* () {
          const catalog = yield* Catalog
          yield* createConcert()
          assert.isTrue(Option.isNone(yield* catalog.findConcert(yield* newId(ConcertId))))
          assert.isTrue(Option.isNone(yield* catalog.findDate(yield* newId(DateId))))
          const error = yield* expectFailure(
            (yield* Booking).joinQueue(yield* newUser, yield* newId(ConcertId)),
            "NotFound"
          )
          assert.strictEqual(error.code, "not-found")
        }))
    })

    describe("Queue", () => {
      test("admits a joiner at once while there is room", () =>
        Effect.gen(function* () {
          const concert = yield* createConcert()
          const ticket = yield* (yield* Booking).joinQueue(yield* newUser, concert.concertId)
          assert.isTrue(ticket.created)
          assert.strictEqual(ticket.entry.status, "active")
          assert.isNull(ticket.entry.position)
          const nowMs = yield* StoreClock.use((c) => c.nowMs)
          assert.strictEqual(DateTime.toEpochMillis(ticket.entry.activeUntil!), nowMs + 600_000)
        }))

      test("a repeated join returns the same entry and the same token", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          yield* admitted(concert)
          const userId = yield* newUser
          const first = yield* booking.joinQueue(userId, concert.concertId)
          const again = yield* booking.joinQueue(userId, concert.concertId)
          assert.isTrue(first.created)
          assert.isFalse(again.created)
          assert.strictEqual(again.queueToken, first.queueToken)
          assert.strictEqual(again.entry.tokenId, first.entry.tokenId)
          assert.strictEqual(again.entry.position, 1)
        }))

      test("waiters get positions 1..n in join order, with an ETA", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 2 } })
          const tickets = []
          for (let i = 0; i < 6; i++) tickets.push(yield* booking.joinQueue(yield* newUser, concert.concertId))
          assert.deepStrictEqual(
            tickets.map((t) => t.entry.status),
            ["active", "active", "waiting", "waiting", "waiting", "waiting"]
          )
          assert.deepStrictEqual(
            tickets.map((t) => t.entry.position),
            [null, null, 1, 2, 3, 4]
          )
          for (const ticket of tickets.slice(2)) assert.isAbove(ticket.entry.etaSeconds!, 0)
          // With no admissions measured, two slots of 600 s each: 300 s per position.
          assert.strictEqual(tickets[2]!.entry.etaSeconds, 300)
          assert.isAbove(tickets[5]!.entry.etaSeconds!, tickets[2]!.entry.etaSeconds!)
        }))

      test("leaving frees the slot for the first waiter at once", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          const first = yield* admitted(concert)
          const second = yield* newUser
          const third = yield* newUser
          const secondTicket = yield* booking.joinQueue(second, concert.concertId)
          const thirdTicket = yield* booking.joinQueue(third, concert.concertId)
          yield* booking.leaveQueue(first.userId, first.token)
          assert.strictEqual((yield* booking.queueStatus(first.userId, first.token)).status, "expired")
          assert.strictEqual((yield* booking.queueStatus(second, secondTicket.queueToken)).status, "active")
          const thirdNow = yield* booking.queueStatus(third, thirdTicket.queueToken)
          assert.strictEqual(thirdNow.status, "waiting")
          assert.strictEqual(thirdNow.position, 1)
        }))

      test("a waiter who leaves drops out and those behind move up", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          yield* admitted(concert)
          const users = [yield* newUser, yield* newUser, yield* newUser]
          const tickets = []
          for (const userId of users) tickets.push(yield* booking.joinQueue(userId, concert.concertId))
          yield* booking.leaveQueue(users[0]!, tickets[0]!.queueToken)
          assert.strictEqual((yield* booking.queueStatus(users[1]!, tickets[1]!.queueToken)).position, 1)
          assert.strictEqual((yield* booking.queueStatus(users[2]!, tickets[2]!.queueToken)).position, 2)
        }))

      test("an active window runs out after activeSeconds and the slot is reused", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1, activeSeconds: 60 } })
          const first = yield* admitted(concert)
          const second = yield* newUser
          const ticket = yield* booking.joinQueue(second, concert.concertId)
          yield* advance(59_999)
          assert.strictEqual((yield* booking.queueStatus(second, ticket.queueToken)).status, "waiting")
          yield* advance(1)
          assert.strictEqual((yield* booking.queueStatus(first.userId, first.token)).status, "expired")
          assert.strictEqual((yield* booking.queueStatus(second, ticket.queueToken)).status, "active")
        }))

      test("admitPerMinute caps admissions in any 60-second window", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { admitPerMinute: 3 } })
          const tickets = []
          for (let i = 0; i < 5; i++) {
            const userId = yield* newUser
            tickets.push({ userId, ticket: yield* booking.joinQueue(userId, concert.concertId) })
            yield* advance(1_000)
          }
          assert.deepStrictEqual(
            tickets.map((t) => t.ticket.entry.status),
            ["active", "active", "active", "waiting", "waiting"]
          )
          // The first admission was at t=0: the window (t-60 s, t] lets one more in at t=60 s, not before.
          yield* advance(60_000 - 5_000 - 1)
          assert.strictEqual(
            (yield* booking.queueStatus(tickets[3]!.userId, tickets[3]!.ticket.queueToken)).status,
            "waiting"
          )
          yield* advance(1)
          assert.strictEqual(
            (yield* booking.queueStatus(tickets[3]!.userId, tickets[3]!.ticket.queueToken)).status,
            "active"
          )
          assert.strictEqual(
            (yield* booking.queueStatus(tickets[4]!.userId, tickets[4]!.ticket.queueToken)).status,
            "waiting"
          )
        }))

      test("a waiter who stops polling loses their place after the grace period; one who polls keeps it", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          const first = yield* admitted(concert)
          const [quiet, polling] = [yield* newUser, yield* newUser]
          const quietTicket = yield* booking.joinQueue(quiet, concert.concertId)
          const pollingTicket = yield* booking.joinQueue(polling, concert.concertId)
          // The grace counts from the end of the join's sighting step (`sightingMsOf`).
          const joinedAtMs = DateTime.toEpochMillis(quietTicket.entry.joinedAt)
          yield* advance(Limits.waitingGraceSeconds * 1000 - 100_000)
          assert.strictEqual((yield* booking.queueStatus(polling, pollingTicket.queueToken)).position, 2)
          yield* advance(sightingMsOf(joinedAtMs) - joinedAtMs + 100_000)
          const pollingNow = yield* booking.queueStatus(polling, pollingTicket.queueToken)
          assert.strictEqual(pollingNow.status, "waiting")
          assert.strictEqual(pollingNow.position, 1)
          assert.strictEqual((yield* booking.queueStatus(quiet, quietTicket.queueToken)).status, "expired")
          yield* booking.leaveQueue(first.userId, first.token)
          assert.strictEqual((yield* booking.queueStatus(polling, pollingTicket.queueToken)).status, "active")
        }))

      test("a sighting counts to the end of its step: the place is kept for the grace after that", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          yield* admitted(concert)
          // A join one millisecond into a step, so the sighting and the join are apart.
          const stepMs = Limits.sightingStepSeconds * 1000
          const startMs = yield* StoreClock.use((c) => c.nowMs)
          yield* advance(stepMs - (startMs % stepMs) + 1)
          const quiet = yield* newUser
          const quietTicket = yield* booking.joinQueue(quiet, concert.concertId)
          const joinedAtMs = DateTime.toEpochMillis(quietTicket.entry.joinedAt)
          const sightedAtMs = sightingMsOf(joinedAtMs)
          assert.strictEqual(sightedAtMs, joinedAtMs + stepMs - 1)
          const behind = yield* newUser
          const behindTicket = yield* booking.joinQueue(behind, concert.concertId)
          // The grace after the join itself has passed: the quiet waiter still holds the place before the others.
          yield* advance(sightedAtMs + Limits.waitingGraceSeconds * 1000 - 1 - joinedAtMs)
          assert.strictEqual((yield* booking.queueStatus(behind, behindTicket.queueToken)).position, 2)
          yield* advance(1)
          assert.strictEqual((yield* booking.queueStatus(behind, behindTicket.queueToken)).position, 1)
          assert.strictEqual((yield* booking.queueStatus(quiet, quietTicket.queueToken)).status, "expired")
        }))

      test("a user whose entry ended joins again at the back", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          const first = yield* admitted(concert)
          const other = yield* newUser
          yield* booking.joinQueue(other, concert.concertId)
          yield* booking.leaveQueue(first.userId, first.token)
          const again = yield* booking.joinQueue(first.userId, concert.concertId)
          assert.isTrue(again.created)
          assert.notStrictEqual(again.queueToken, first.token)
          assert.strictEqual(again.entry.status, "waiting")
          assert.strictEqual(again.entry.position, 1)
        }))

      test("ending twice is a no-op, and an unknown token has no status", () =>
        Effect.gen(function* () {
          const queue = yield* Queue
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          const first = yield* admitted(concert)
          const claims = yield* (yield* QueueTokenSigner).verify(first.token)
          yield* queue.end(concert.concertId, claims, concert.policy.queue)
          yield* queue.end(concert.concertId, claims, concert.policy.queue)
          const status = yield* queue.status(concert.concertId, claims, concert.policy.queue)
          assert.strictEqual(Option.getOrThrow(status).status, "expired")
          const unknown = yield* queue.status(
            concert.concertId,
            { tokenId: yield* newId(QueueTokenId), userId: claims.userId },
            concert.policy.queue
          )
          assert.isTrue(Option.isNone(unknown))
        }))

      test("a token named with another user's id names no entry: no status, and ending it changes nothing", () =>
        Effect.gen(function* () {
          const queue = yield* Queue
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          const first = yield* admitted(concert)
          const claims = yield* (yield* QueueTokenSigner).verify(first.token)
          const stranger = { tokenId: claims.tokenId, userId: yield* newUser }
          assert.isTrue(Option.isNone(yield* queue.status(concert.concertId, stranger, concert.policy.queue)))
          yield* queue.end(concert.concertId, stranger, concert.policy.queue)
          const own = yield* queue.status(concert.concertId, claims, concert.policy.queue)
          assert.strictEqual(Option.getOrThrow(own).status, "active")
        }))

      test("an entry that ended is forgotten after the retention period: its token then names no entry", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          yield* booking.leaveQueue(user.userId, user.token)
          yield* advance(Limits.endedEntryRetentionSeconds * 1000 - 1_000)
          assert.strictEqual((yield* booking.queueStatus(user.userId, user.token)).status, "expired")
          yield* advance(1_000)
          const error = yield* expectFailure(booking.queueStatus(user.userId, user.token), "QueueTokenInvalid")
          assert.strictEqual(error.code, "queue-token-invalid")
        }))

      test("the status stream reports each change until the token ends", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          const first = yield* admitted(concert)
          const waiter = yield* newUser
          const ticket = yield* booking.joinQueue(waiter, concert.concertId)
          const fiber = yield* Stream.runCollect(booking.queueEvents(ticket.queueToken)).pipe(Effect.forkChild)
          yield* Effect.yieldNow
          yield* advance(1_000)
          yield* booking.leaveQueue(first.userId, first.token)
          yield* advance(1_000)
          yield* booking.leaveQueue(waiter, ticket.queueToken)
          yield* advance(1_000)
          const events = yield* Fiber.join(fiber)
          assert.deepStrictEqual(
            events.map((e) => e.status),
            ["waiting", "active", "expired"]
          )
          assert.strictEqual(events[0]!.position, 1)
        }))

      queueWindowCases(adapter)
      queueGraceCases(adapter)
      soldOutCases(adapter)
    })

    describe("tokens (L6)", () => {
      test("a forged or altered token is rejected as queue-token-invalid", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          const [prefix, claims, signature] = user.token.split(".")
          const altered = `${prefix}.${claims}.${signature!.slice(0, -2)}${signature!.endsWith("AA") ? "BB" : "AA"}`
          for (const token of ["", "garbage", "qt1.e30.AAAA", altered, `${prefix}.${claims}x.${signature}`]) {
            const error = yield* expectFailure(booking.queueStatus(user.userId, token), "QueueTokenInvalid")
            assert.strictEqual(error.code, "queue-token-invalid")
          }
          yield* expectFailure(booking.hold(user.userId, altered, concert.dates[0]!.dateId, [1]), "QueueTokenInvalid")
        }))

      test("another user's token is forbidden", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const owner = yield* admitted(concert)
          const intruder = yield* newUser
          const error = yield* expectFailure(
            booking.hold(intruder, owner.token, concert.dates[0]!.dateId, [1]),
            "Forbidden"
          )
          assert.strictEqual(error.code, "forbidden")
          yield* expectFailure(booking.queueStatus(intruder, owner.token), "Forbidden")
          yield* expectFailure(booking.leaveQueue(intruder, owner.token), "Forbidden")
        }))

      test("a token for another concert is forbidden", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const first = yield* createConcert()
          const second = yield* createConcert()
          const user = yield* admitted(first)
          yield* expectFailure(booking.listSeats(user.userId, user.token, second.dates[0]!.dateId), "Forbidden")
          yield* expectFailure(booking.listDates(user.userId, user.token, second.concertId), "Forbidden")
        }))

      test("a waiting token cannot act: queue-not-admitted", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          yield* admitted(concert)
          const waiter = yield* newUser
          const ticket = yield* booking.joinQueue(waiter, concert.concertId)
          const error = yield* expectFailure(
            booking.hold(waiter, ticket.queueToken, concert.dates[0]!.dateId, [1]),
            "QueueNotAdmitted"
          )
          assert.strictEqual(error.position, 1)
          yield* expectFailure(booking.listDates(waiter, ticket.queueToken, concert.concertId), "QueueNotAdmitted")
        }))

      test("a left or timed-out token cannot act: queue-token-expired", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { activeSeconds: 60 } })
          const leaver = yield* admitted(concert)
          yield* booking.leaveQueue(leaver.userId, leaver.token)
          yield* expectFailure(
            booking.hold(leaver.userId, leaver.token, concert.dates[0]!.dateId, [1]),
            "QueueTokenExpired"
          )
          const sleeper = yield* admitted(concert)
          yield* advance(60_000)
          yield* expectFailure(
            booking.listSeats(sleeper.userId, sleeper.token, concert.dates[0]!.dateId),
            "QueueTokenExpired"
          )
        }))
    })

    describe("SeatInventory", () => {
      test("lists every seat of a date as available, with its price", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          const seats = yield* booking.listSeats(user.userId, user.token, concert.dates[1]!.dateId)
          assert.deepStrictEqual(
            seats.map((s) => s.seatNumber),
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
          )
          assert.isTrue(seats.every((s) => s.status === "available" && s.priceKrw === 20_000))
          const dates = yield* booking.listDates(user.userId, user.token, concert.concertId)
          assert.deepStrictEqual(
            dates.map((d) => d.availableSeats),
            [10, 10]
          )
        }))

      test("lists upcoming dates only", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          yield* advance(30 * 86_400_000 + 1)
          // The token ran out as well; a fresh one sees only the second date.
          const again = yield* booking.joinQueue(user.userId, concert.concertId)
          const dates = yield* booking.listDates(user.userId, again.queueToken, concert.concertId)
          assert.deepStrictEqual(
            dates.map((d) => d.date.dateId),
            [concert.dates[1]!.dateId]
          )
        }))

      test("holds seats for holdSeconds at the engine's price", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ holdSeconds: 120 })
          const user = yield* admitted(concert)
          const nowMs = yield* StoreClock.use((c) => c.nowMs)
          const hold = yield* booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [4, 2])
          assert.deepStrictEqual(hold.seatNumbers, [2, 4])
          assert.strictEqual(hold.amountKrw, 20_000)
          assert.strictEqual(hold.status, "held")
          assert.strictEqual(hold.userId, user.userId)
          assert.strictEqual(DateTime.toEpochMillis(hold.expiresAt), nowMs + 120_000)
          const seats = yield* booking.listSeats(user.userId, user.token, concert.dates[0]!.dateId)
          assert.deepStrictEqual(
            seats.filter((s) => s.status === "held").map((s) => s.seatNumber),
            [2, 4]
          )
          const found = yield* booking.getHold(user.userId, hold.holdId)
          assert.strictEqual(found.status, "held")
          const dates = yield* booking.listDates(user.userId, user.token, concert.concertId)
          assert.strictEqual(dates[0]!.availableSeats, 8)
        }))

      test("a held seat is unavailable to others, and nothing of a partly taken request is held", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const dateId = concert.dates[0]!.dateId
          const first = yield* admitted(concert)
          const second = yield* admitted(concert)
          yield* booking.hold(first.userId, first.token, dateId, [3])
          const error = yield* expectFailure(
            booking.hold(second.userId, second.token, dateId, [2, 3]),
            "SeatUnavailable"
          )
          assert.deepStrictEqual(error.seatNumbers, [3])
          assert.strictEqual(error.code, "seat-unavailable")
          const seats = yield* booking.listSeats(second.userId, second.token, dateId)
          assert.strictEqual(seats[1]!.status, "available")
          yield* booking.hold(second.userId, second.token, dateId, [2])
        }))

      test("seats out of range or repeated are invalid-request, and nothing is held", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const dateId = concert.dates[0]!.dateId
          const user = yield* admitted(concert)
          for (const seats of [[0], [11], [1, 1], [], [2.5]]) {
            const error = yield* expectFailure(booking.hold(user.userId, user.token, dateId, seats), "InvalidRequest")
            assert.strictEqual(error.code, "invalid-request")
          }
          const listed = yield* booking.listSeats(user.userId, user.token, dateId)
          assert.isTrue(listed.every((s) => s.status === "available"))
          yield* expectFailure(booking.hold(user.userId, user.token, yield* newId(DateId), [1]), "NotFound")
        }))

      test("maxSeatsPerUser counts live holds and bought seats per date", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ maxSeatsPerUser: 3 })
          const [first, second] = concert.dates
          const user = yield* admitted(concert)
          yield* booking.charge(user.userId, 100_000, null)
          const paid = yield* booking.hold(user.userId, user.token, first!.dateId, [1, 2])
          const error = yield* expectFailure(
            booking.hold(user.userId, user.token, first!.dateId, [3, 4]),
            "HoldLimitExceeded"
          )
          assert.strictEqual(error.maxSeatsPerUser, 3)
          assert.strictEqual(error.seatsAlready, 2)
          assert.strictEqual(error.code, "hold-limit-exceeded")
          // Another date has its own count.
          yield* booking.hold(user.userId, user.token, second!.dateId, [1, 2, 3])
          yield* booking.pay(user.userId, user.token, paid.holdId, null)
          const again = yield* booking.joinQueue(user.userId, concert.concertId)
          yield* expectFailure(booking.hold(user.userId, again.queueToken, first!.dateId, [5, 6]), "HoldLimitExceeded")
          yield* booking.hold(user.userId, again.queueToken, first!.dateId, [5])
        }))

      test("an expired hold frees its seats at once, with no sweeper (L4)", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ holdSeconds: 60, maxSeatsPerUser: 2 })
          const dateId = concert.dates[0]!.dateId
          const first = yield* admitted(concert)
          const second = yield* admitted(concert)
          const hold = yield* booking.hold(first.userId, first.token, dateId, [5, 6])
          yield* advance(59_999)
          yield* expectFailure(booking.hold(second.userId, second.token, dateId, [5]), "SeatUnavailable")
          yield* advance(1)
          assert.strictEqual((yield* booking.getHold(first.userId, hold.holdId)).status, "expired")
          const seats = yield* booking.listSeats(second.userId, second.token, dateId)
          assert.strictEqual(seats[4]!.status, "available")
          yield* booking.hold(second.userId, second.token, dateId, [5, 6])
          // The expired hold no longer counts towards its owner's limit either.
          yield* booking.hold(first.userId, first.token, dateId, [1, 2])
        }))

      test("release frees the seats at once; repeating it is harmless", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const dateId = concert.dates[0]!.dateId
          const first = yield* admitted(concert)
          const second = yield* admitted(concert)
          const hold = yield* booking.hold(first.userId, first.token, dateId, [7])
          yield* booking.releaseHold(first.userId, hold.holdId)
          assert.strictEqual((yield* booking.getHold(first.userId, hold.holdId)).status, "released")
          yield* booking.releaseHold(first.userId, hold.holdId)
          assert.strictEqual((yield* booking.getHold(first.userId, hold.holdId)).status, "released")
          yield* booking.hold(second.userId, second.token, dateId, [7])
        }))

      test("another user's hold is forbidden; an unknown hold is not-found", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const owner = yield* admitted(concert)
          const other = yield* admitted(concert)
          const hold = yield* booking.hold(owner.userId, owner.token, concert.dates[0]!.dateId, [1])
          yield* expectFailure(booking.getHold(other.userId, hold.holdId), "Forbidden")
          yield* expectFailure(booking.releaseHold(other.userId, hold.holdId), "Forbidden")
          yield* expectFailure(booking.pay(other.userId, other.token, hold.holdId, null), "Forbidden")
          const unknown = yield* newId(HoldId)
          yield* expectFailure(booking.getHold(owner.userId, unknown), "NotFound")
          yield* expectFailure(booking.releaseHold(owner.userId, unknown), "NotFound")
          yield* expectFailure(booking.pay(owner.userId, owner.token, unknown, null), "NotFound")
          assert.strictEqual((yield* booking.getHold(owner.userId, hold.holdId)).status, "held")
        }))

      test("200 concurrent holds of one seat: exactly one wins", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1_000 } })
          const dateId = concert.dates[0]!.dateId
          const users = yield* Effect.forEach(Array.from({ length: 200 }), () => admitted(concert))
          const results = yield* Effect.forEach(
            users,
            (user) => Effect.result(booking.hold(user.userId, user.token, dateId, [1])),
            { concurrency: "unbounded" }
          )
          assert.strictEqual(results.filter(Result.isSuccess).length, 1)
          assert.isTrue(results.filter(Result.isFailure).every((r) => r.failure._tag === "SeatUnavailable"))
        }))

      holdFundsCases(adapter)
      seatClassCases(adapter)
    })

    describe("Wallet", () => {
      test("a charge adds to the balance and the ledger", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const userId = yield* newUser
          assert.strictEqual(yield* booking.balance(userId), 0)
          const receipt = yield* booking.charge(userId, 7_000, null)
          assert.strictEqual(receipt.amountKrw, 7_000)
          assert.strictEqual(receipt.balanceKrw, 7_000)
          yield* booking.charge(userId, 3_000, null)
          assert.strictEqual(yield* booking.balance(userId), 10_000)
          const ledger = yield* (yield* Wallet).ledger(userId)
          assert.deepStrictEqual(
            ledger.map((e) => [e.kind, e.amountKrw]),
            [
              ["charge", 7_000],
              ["charge", 3_000]
            ]
          )
          assert.strictEqual(ledger[0]!.referenceId, receipt.chargeId)
        }))

      test("a charge past the balance cap fails and changes nothing", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const userId = yield* newUser
          for (let i = 0; i < Limits.balanceKrwMax / Limits.chargeKrwMax; i++) {
            yield* booking.charge(userId, Limits.chargeKrwMax, null)
          }
          assert.strictEqual(yield* booking.balance(userId), Limits.balanceKrwMax)
          const error = yield* expectFailure(booking.charge(userId, 1, null), "BalanceLimitExceeded")
          assert.strictEqual(error.code, "balance-limit-exceeded")
          assert.strictEqual(yield* booking.balance(userId), Limits.balanceKrwMax)
        }))

      test("100 concurrent charges to one wallet all succeed and add up exactly", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const userId = yield* newUser
          const receipts = yield* Effect.forEach(
            Array.from({ length: 100 }, (_, i) => i + 1),
            (amount) => booking.charge(userId, amount, null),
            { concurrency: "unbounded" }
          )
          assert.strictEqual(receipts.length, 100)
          assert.strictEqual(yield* booking.balance(userId), 5_050)
          assert.strictEqual(new Set(receipts.map((r) => r.balanceKrw)).size, 100)
          assert.strictEqual((yield* (yield* Wallet).ledger(userId)).length, 100)
        }))
    })

    describe("Idempotency keys (L7)", () => {
      test("a keyed charge answers its first receipt again; another amount with the key is reused; keys are per user", () =>
        Effect.gen(function* () {
          const wallet = yield* Wallet
          const records = yield* IdempotencyRecords
          const userId = yield* newUser
          const claim = new IdempotencyClaim({ userId, key: "k1", fingerprint: "charge:100" })
          assert.isTrue(Option.isNone(yield* records.replay(claim)))
          const first = yield* wallet.charge({
            chargeId: yield* newId(ChargeId),
            userId,
            amountKrw: 100,
            idempotency: claim
          })
          const again = yield* wallet.charge({
            chargeId: yield* newId(ChargeId),
            userId,
            amountKrw: 100,
            idempotency: claim
          })
          assert.deepStrictEqual(again, first)
          assert.deepStrictEqual(
            yield* records.replay(claim),
            Option.some({ _tag: "Charged" as const, receipt: first })
          )
          const reused = new IdempotencyClaim({ userId, key: "k1", fingerprint: "charge:200" })
          const error = yield* expectFailure(
            wallet.charge({ chargeId: yield* newId(ChargeId), userId, amountKrw: 200, idempotency: reused }),
            "IdempotencyKeyReused"
          )
          assert.strictEqual(error.code, "idempotency-key-reused")
          yield* expectFailure(records.replay(reused), "IdempotencyKeyReused")
          assert.strictEqual(yield* wallet.balance(userId), 100)
          const other = yield* newUser
          const theirs = new IdempotencyClaim({ userId: other, key: "k1", fingerprint: "charge:200" })
          assert.strictEqual(
            (yield* wallet.charge({
              chargeId: yield* newId(ChargeId),
              userId: other,
              amountKrw: 200,
              idempotency: theirs
            })).balanceKrw,
            200
          )
        }))

      test("a keyed payment that fails records nothing; its retry pays, and the key then replays the receipt", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const payments = yield* Payments
          const records = yield* IdempotencyRecords
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          const hold = yield* booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [1])
          const claim = new IdempotencyClaim({ userId: user.userId, key: "p1", fingerprint: `payment:${hold.holdId}` })
          const queueTokenId = yield* newId(QueueTokenId)
          const request = {
            holdId: hold.holdId,
            userId: user.userId,
            concertId: concert.concertId,
            queueTokenId,
            idempotency: claim
          }
          yield* expectFailure(payments.pay({ ...request, paymentId: yield* newId(PaymentId) }), "InsufficientBalance")
          assert.isTrue(Option.isNone(yield* records.replay(claim)))
          yield* booking.charge(user.userId, 10_000, null)
          const receipt = yield* payments.pay({ ...request, paymentId: yield* newId(PaymentId) })
          assert.deepStrictEqual(yield* payments.pay({ ...request, paymentId: yield* newId(PaymentId) }), receipt)
          assert.deepStrictEqual(yield* records.replay(claim), Option.some({ _tag: "Paid" as const, receipt }))
          assert.strictEqual(yield* booking.balance(user.userId), 0)
          assert.strictEqual((yield* booking.listPayments(user.userId)).length, 1)
        }))

      test("a keyed payment retried after its success ended the token gets the first receipt", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          yield* booking.charge(user.userId, 10_000, null)
          const hold = yield* booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [1])
          const receipt = yield* booking.pay(user.userId, user.token, hold.holdId, "pay-once")
          assert.strictEqual((yield* booking.queueStatus(user.userId, user.token)).status, "expired")
          assert.deepStrictEqual(yield* booking.pay(user.userId, user.token, hold.holdId, "pay-once"), receipt)
          // Without the key, or with another, the ended token is refused.
          yield* expectFailure(booking.pay(user.userId, user.token, hold.holdId, null), "QueueTokenExpired")
          yield* expectFailure(booking.pay(user.userId, user.token, hold.holdId, "other"), "QueueTokenExpired")
          assert.strictEqual(yield* booking.balance(user.userId), 0)
        }))

      test("a charge repeated with the same key has its effect once and the same answer", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const userId = yield* newUser
          const first = yield* booking.charge(userId, 5_000, "charge-1")
          const again = yield* booking.charge(userId, 5_000, "charge-1")
          assert.deepStrictEqual(again, first)
          assert.strictEqual(yield* booking.balance(userId), 5_000)
          yield* expectFailure(booking.charge(userId, 6_000, "charge-1"), "IdempotencyKeyReused")
          assert.strictEqual(yield* booking.balance(userId), 5_000)
        }))

      test("20 concurrent charges with one key: one effect; each caller gets it or in-flight", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const userId = yield* newUser
          const results = yield* Effect.forEach(
            Array.from({ length: 20 }),
            () => Effect.result(booking.charge(userId, 1_000, "same-key")),
            { concurrency: "unbounded" }
          )
          const successes = results.filter(Result.isSuccess).map((r) => r.success)
          assert.isAtLeast(successes.length, 1)
          assert.isTrue(successes.every((s) => s.chargeId === successes[0]!.chargeId))
          assert.isTrue(results.filter(Result.isFailure).every((r) => r.failure._tag === "IdempotencyInFlight"))
          assert.strictEqual(yield* booking.balance(userId), 1_000)
        }))

      test("a failed attempt frees its key: nothing changed, so a retry runs anew", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          const hold = yield* booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [1])
          yield* expectFailure(booking.pay(user.userId, user.token, hold.holdId, "pay-1"), "InsufficientBalance")
          yield* booking.charge(user.userId, 10_000, null)
          const receipt = yield* booking.pay(user.userId, user.token, hold.holdId, "pay-1")
          assert.strictEqual(receipt.balanceKrw, 0)
        }))
    })

    describe("Payments (L2, L3)", () => {
      test("pays a hold: debits the wallet, sells the seats, ends the token, admits the next", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          const dateId = concert.dates[1]!.dateId
          const buyer = yield* admitted(concert)
          const next = yield* newUser
          const nextTicket = yield* booking.joinQueue(next, concert.concertId)
          yield* booking.charge(buyer.userId, 50_000, null)
          const hold = yield* booking.hold(buyer.userId, buyer.token, dateId, [9, 10])
          const receipt = yield* booking.pay(buyer.userId, buyer.token, hold.holdId, null)
          assert.strictEqual(receipt.amountKrw, 40_000)
          assert.strictEqual(receipt.balanceKrw, 10_000)
          assert.deepStrictEqual(receipt.seatNumbers, [9, 10])
          assert.strictEqual(yield* booking.balance(buyer.userId), 10_000)
          assert.strictEqual((yield* booking.getHold(buyer.userId, hold.holdId)).status, "paid")
          assert.strictEqual((yield* booking.queueStatus(buyer.userId, buyer.token)).status, "expired")
          assert.strictEqual((yield* booking.queueStatus(next, nextTicket.queueToken)).status, "active")
          const seats = yield* booking.listSeats(next, nextTicket.queueToken, dateId)
          assert.deepStrictEqual(
            seats.filter((s) => s.status === "sold").map((s) => s.seatNumber),
            [9, 10]
          )
          const payments = yield* booking.listPayments(buyer.userId)
          assert.strictEqual(payments.length, 1)
          assert.strictEqual(payments[0]!.paymentId, receipt.paymentId)
          assert.strictEqual(payments[0]!.holdId, hold.holdId)
          const ledger = yield* (yield* Wallet).ledger(buyer.userId)
          assert.deepStrictEqual(
            ledger.map((e) => [e.kind, e.amountKrw]),
            [
              ["charge", 50_000],
              ["payment", 40_000]
            ]
          )
          yield* expectFailure(booking.pay(buyer.userId, buyer.token, hold.holdId, null), "QueueTokenExpired")
        }))

      test("a short wallet is insufficient-balance and nothing changes", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          yield* booking.charge(user.userId, 9_999, null)
          const hold = yield* booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [1])
          const error = yield* expectFailure(
            booking.pay(user.userId, user.token, hold.holdId, null),
            "InsufficientBalance"
          )
          assert.strictEqual(error.balanceKrw, 9_999)
          assert.strictEqual(error.neededKrw, 10_000)
          assert.strictEqual(error.code, "insufficient-balance")
          assert.strictEqual(yield* booking.balance(user.userId), 9_999)
          assert.strictEqual((yield* booking.getHold(user.userId, hold.holdId)).status, "held")
          assert.strictEqual((yield* booking.listPayments(user.userId)).length, 0)
          assert.strictEqual((yield* booking.queueStatus(user.userId, user.token)).status, "active")
        }))

      test("a paid hold is already-paid for the payments port and for release", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const payments = yield* Payments
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          yield* booking.charge(user.userId, 30_000, null)
          const hold = yield* booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [1])
          yield* booking.pay(user.userId, user.token, hold.holdId, null)
          const paymentId = yield* newId(PaymentId)
          // With a token that has not paid (a later admission): the hold, not the token, refuses.
          const queueTokenId = yield* newId(QueueTokenId)
          const error = yield* expectFailure(
            payments.pay({
              paymentId,
              holdId: hold.holdId,
              userId: user.userId,
              concertId: concert.concertId,
              queueTokenId,
              idempotency: null
            }),
            "AlreadyPaid"
          )
          assert.strictEqual(error.code, "already-paid")
          yield* expectFailure(booking.releaseHold(user.userId, hold.holdId), "AlreadyPaid")
          assert.strictEqual(yield* booking.balance(user.userId), 20_000)
        }))

      test("an expired or released hold cannot be paid: hold-expired (L4)", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ holdSeconds: 60 })
          const dateId = concert.dates[0]!.dateId
          const user = yield* admitted(concert)
          yield* booking.charge(user.userId, 100_000, null)
          const expiring = yield* booking.hold(user.userId, user.token, dateId, [1])
          yield* advance(60_000)
          const error = yield* expectFailure(booking.pay(user.userId, user.token, expiring.holdId, null), "HoldExpired")
          assert.strictEqual(error.code, "hold-expired")
          const released = yield* booking.hold(user.userId, user.token, dateId, [2])
          yield* booking.releaseHold(user.userId, released.holdId)
          yield* expectFailure(booking.pay(user.userId, user.token, released.holdId, null), "HoldExpired")
          assert.strictEqual(yield* booking.balance(user.userId), 100_000)
          const other = yield* admitted(concert)
          yield* booking.hold(other.userId, other.token, dateId, [1, 2])
        }))

      test("100 concurrent payments of one hold: exactly one, debited once", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          yield* booking.charge(user.userId, 100_000, null)
          const hold = yield* booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [1, 2])
          const results = yield* Effect.forEach(
            Array.from({ length: 100 }),
            () => payThroughPort(user.userId, hold.holdId, concert.concertId),
            { concurrency: "unbounded" }
          )
          assert.strictEqual(results.filter(Result.isSuccess).length, 1)
          assert.isTrue(results.filter(Result.isFailure).every((r) => r.failure._tag === "AlreadyPaid"))
          assert.strictEqual(yield* booking.balance(user.userId), 80_000)
        }))

      test("a balance of 5,000 and five concurrent payments of 2,000: exactly two", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({
            dates: [{ startsAt: DateTime.makeUnsafe(suiteFarFutureMs), priceKrw: 2_000, seatCount: 10 }],
            maxSeatsPerUser: 5
          })
          const user = yield* admitted(concert)
          yield* booking.charge(user.userId, 5_000, null)
          const holds = yield* Effect.forEach([1, 2, 3, 4, 5], (seat) =>
            booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [seat])
          )
          const results = yield* Effect.forEach(
            holds,
            (hold) => payThroughPort(user.userId, hold.holdId, concert.concertId),
            { concurrency: "unbounded" }
          )
          assert.strictEqual(results.filter(Result.isSuccess).length, 2)
          assert.isTrue(results.filter(Result.isFailure).every((r) => r.failure._tag === "InsufficientBalance"))
          assert.strictEqual(yield* booking.balance(user.userId), 1_000)
        }))

      test("a payment repeated with the same key gets the first receipt, though the token ended", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert()
          const user = yield* admitted(concert)
          yield* booking.charge(user.userId, 30_000, null)
          const hold = yield* booking.hold(user.userId, user.token, concert.dates[0]!.dateId, [1, 2])
          const first = yield* booking.pay(user.userId, user.token, hold.holdId, "pay-key")
          const again = yield* booking.pay(user.userId, user.token, hold.holdId, "pay-key")
          assert.deepStrictEqual(again, first)
          assert.strictEqual(yield* booking.balance(user.userId), 10_000)
          assert.strictEqual((yield* booking.listPayments(user.userId)).length, 1)
          yield* expectFailure(booking.charge(user.userId, 1_000, "pay-key"), "IdempotencyKeyReused")
        }))

      paymentTokenCases(adapter)
      refundCases(adapter)
      eventCases(adapter)
    })

    describe("sale window", () => {
      test("a date that has started can no longer be held or paid: sale-closed, and nothing changes", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
          const concert = yield* createConcert({
            dates: [{ startsAt: DateTime.makeUnsafe(nowMs + 120_000), priceKrw: 10_000, seatCount: 10 }],
            holdSeconds: 300
          })
          const date = concert.dates[0]!
          const user = yield* admitted(concert)
          yield* booking.charge(user.userId, 30_000, null)
          const hold = yield* booking.hold(user.userId, user.token, date.dateId, [1])
          yield* advance(120_000)
          const paid = yield* expectFailure(booking.pay(user.userId, user.token, hold.holdId, null), "SaleClosed")
          assert.strictEqual(paid.code, "sale-closed")
          yield* expectFailure(booking.hold(user.userId, user.token, date.dateId, [2]), "SaleClosed")
          assert.strictEqual(yield* booking.balance(user.userId), 30_000)
          assert.strictEqual((yield* booking.listPayments(user.userId)).length, 0)
        }))
    })

    describe("sale report (operator view)", () => {
      test("counts the queue and each date's seats as the stores see them, the same after every change", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 2 } })
          const [first, second] = concert.dates
          const joiners = yield* Effect.forEach([1, 2, 3, 4], () => newUser)
          const tickets = yield* Effect.forEach(joiners, (userId) => booking.joinQueue(userId, concert.concertId))
          const report = yield* booking.saleReport(concert.concertId)
          assert.deepStrictEqual(
            {
              waiting: report.queue.waiting,
              active: report.queue.active,
              admittedLastMinute: report.queue.admittedLastMinute
            },
            { waiting: 2, active: 2, admittedLastMinute: 2 }
          )
          const [a, b] = [joiners[0]!, joiners[1]!]
          yield* booking.hold(a, tickets[0]!.queueToken, first!.dateId, [1, 2])
          yield* booking.charge(b, 10_000, null)
          const paidHold = yield* booking.hold(b, tickets[1]!.queueToken, first!.dateId, [3])
          yield* booking.pay(b, tickets[1]!.queueToken, paidHold.holdId, null)
          const after = yield* booking.saleReport(concert.concertId)
          // The payment ended b's token, and the next waiter was admitted at once.
          assert.deepStrictEqual(
            {
              waiting: after.queue.waiting,
              active: after.queue.active,
              admittedLastMinute: after.queue.admittedLastMinute
            },
            { waiting: 1, active: 2, admittedLastMinute: 3 }
          )
          assert.deepStrictEqual(
            after.dates.map((d) => ({ ...d })),
            [
              { dateId: first!.dateId, available: 7, held: 2, sold: 1, revenueKrw: 10_000, classes: [] },
              { dateId: second!.dateId, available: 10, held: 0, sold: 0, revenueKrw: 0, classes: [] }
            ]
          )
          // Admissions age out of the minute; an expired hold's seats count as available again.
          yield* advance(301_000)
          const later = yield* booking.saleReport(concert.concertId)
          assert.strictEqual(later.queue.admittedLastMinute, 0)
          assert.deepStrictEqual(
            { ...later.dates[0]! },
            { dateId: first!.dateId, available: 9, held: 0, sold: 1, revenueKrw: 10_000, classes: [] }
          )
          yield* expectFailure(booking.saleReport(yield* newId(ConcertId)), "NotFound")
        }))
    })

    describe("operator controls (L5 while settings change)", () => {
      const statusOf = (userId: UserId, token: string) =>
        Effect.map(
          Booking.use((b) => b.queueStatus(userId, token)),
          (e) => [e.status, e.position] as const
        )

      test("pausing admits nobody and nobody loses a place; resuming admits at once, in order", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1 } })
          const [a, b, c, d] = yield* Effect.forEach([1, 2, 3, 4], () => newUser)
          const ta = yield* booking.joinQueue(a!, concert.concertId)
          const tb = yield* booking.joinQueue(b!, concert.concertId)
          const tc = yield* booking.joinQueue(c!, concert.concertId)
          const paused = yield* booking.configureQueue(concert.concertId, new QueueSettingsChange({ paused: true }))
          assert.isTrue(paused.paused)
          assert.strictEqual(paused.maxActive, 1)
          yield* booking.leaveQueue(a!, ta.queueToken)
          const td = yield* booking.joinQueue(d!, concert.concertId)
          yield* advance(10_000)
          assert.deepStrictEqual(yield* statusOf(b!, tb.queueToken), ["waiting", 1])
          assert.deepStrictEqual(yield* statusOf(c!, tc.queueToken), ["waiting", 2])
          assert.deepStrictEqual(yield* statusOf(d!, td.queueToken), ["waiting", 3])
          const report = yield* booking.saleReport(concert.concertId)
          assert.deepStrictEqual(
            [report.queue.active, report.queue.waiting, report.queue.settings.paused],
            [0, 3, true]
          )
          const resumed = yield* booking.configureQueue(concert.concertId, new QueueSettingsChange({ paused: false }))
          assert.isFalse(resumed.paused)
          assert.deepStrictEqual(yield* statusOf(b!, tb.queueToken), ["active", null])
          assert.deepStrictEqual(yield* statusOf(c!, tc.queueToken), ["waiting", 1])
          assert.deepStrictEqual(yield* statusOf(d!, td.queueToken), ["waiting", 2])
        }))

      test("raising maxActive admits the next waiters at once; a new activeSeconds applies to admissions from then on", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 1, activeSeconds: 600 } })
          const [a, b, c, d] = yield* Effect.forEach([1, 2, 3, 4], () => newUser)
          const tickets = yield* Effect.forEach([a!, b!, c!, d!], (userId) =>
            booking.joinQueue(userId, concert.concertId)
          )
          const settings = yield* booking.configureQueue(
            concert.concertId,
            new QueueSettingsChange({ maxActive: 3, activeSeconds: 60 })
          )
          assert.deepStrictEqual(
            { ...settings },
            { maxActive: 3, activeSeconds: 60, admitPerMinute: null, paused: false }
          )
          const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
          const [ea, eb, ec] = yield* Effect.forEach([0, 1, 2], (i) =>
            booking.queueStatus([a!, b!, c!][i]!, tickets[i]!.queueToken)
          )
          assert.deepStrictEqual([ea!.status, eb!.status, ec!.status], ["active", "active", "active"])
          // a keeps the window it was admitted with; b and c get the new one.
          assert.isTrue(DateTime.toEpochMillis(ea!.activeUntil!) > nowMs + 500_000)
          assert.strictEqual(DateTime.toEpochMillis(eb!.activeUntil!), nowMs + 60_000)
          assert.deepStrictEqual(yield* statusOf(d!, tickets[3]!.queueToken), ["waiting", 1])
          // b's and c's windows end before a's: both slots go to d (the next waiter) and stay reusable.
          yield* advance(61_000)
          assert.deepStrictEqual(yield* statusOf(d!, tickets[3]!.queueToken), ["active", null])
          assert.deepStrictEqual(yield* statusOf(b!, tickets[1]!.queueToken), ["expired", null])
          const report = yield* booking.saleReport(concert.concertId)
          assert.deepStrictEqual([report.queue.active, report.queue.waiting], [2, 0])
        }))

      test("a rate cap set mid-sale holds from then on, and lifting it admits at once", () =>
        Effect.gen(function* () {
          const booking = yield* Booking
          const concert = yield* createConcert({ queue: { maxActive: 10 } })
          yield* booking.configureQueue(concert.concertId, new QueueSettingsChange({ admitPerMinute: 2 }))
          const users = yield* Effect.forEach([1, 2, 3, 4], () => newUser)
          const tickets = yield* Effect.forEach(users, (userId) => booking.joinQueue(userId, concert.concertId))
          assert.deepStrictEqual(
            tickets.map((t) => t.entry.status),
            ["active", "active", "waiting", "waiting"]
          )
          const lifted = yield* booking.configureQueue(
            concert.concertId,
            new QueueSettingsChange({ admitPerMinute: null })
          )
          assert.isNull(lifted.admitPerMinute)
          assert.deepStrictEqual(yield* statusOf(users[2]!, tickets[2]!.queueToken), ["active", null])
          assert.deepStrictEqual(yield* statusOf(users[3]!, tickets[3]!.queueToken), ["active", null])
          yield* expectFailure(
            booking.configureQueue(yield* newId(ConcertId), new QueueSettingsChange({ paused: true })),
            "NotFound"
          )
        }))
    })

    describe("fair start (a pre-queue drawn once at the opening)", () => {
      for (const fairStart of fairStartCases) test(fairStart.name, () => fairStart.body)
    })

    describe("time passing inside a store call", () => {
      for (const lockWait of lockWaitCases) test(lockWait.name, () => lockWait.body)
    })
  })
}

const suiteFarFutureMs = Date.UTC(2027, 0, 1)
