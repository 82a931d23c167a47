/**
 * Contract cases of the outbox (`Events`): each write records exactly one
 * event of its kind, in the same atomic step, with what it changed; a
 * refusal records none; expiries are recorded once; sequences rise, and a
 * reader resumes from its cursor; deliveries are claimed
 * once per concert at a time and settle as told.
 *
 * @since 0.6.0
 */
import { Booking, type BookingEvent, type Concert, Events } from "@boxoffice/core"
import { DateTime, Effect, Result, Stream } from "effect"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { createConcert, harnessLayer, type HarnessServices, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"
import type { StoreStall } from "./StoreStall.ts"

/** Every event recorded so far, read in pages. */
const allEvents = Effect.gen(function* () {
  const events = yield* Events
  const read: Array<BookingEvent> = []
  for (;;) {
    const page = yield* events.read(read.at(-1)?.sequence ?? 0, 50)
    if (page.length === 0) return read
    read.push(...page)
  }
})

const ofConcert = (concert: Concert, events: ReadonlyArray<BookingEvent>) =>
  events.filter((event) => event.data.concertId === concert.concertId)

/** One contract case of the outbox. @category models */
export interface EventCase {
  readonly name: string
  readonly body: Effect.Effect<void, unknown, HarnessServices | StoreStall>
}

/** @category suites */
export const eventCaseList: ReadonlyArray<EventCase> = [
  {
    name: "a sale's writes record one event each, with what they changed; refusals record none",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* createConcert({ holdSeconds: 60 })
      const dateId = concert.dates[0]!.dateId
      const userId = yield* newUser
      const ticket = yield* booking.joinQueue(userId, concert.concertId)
      const charge = yield* booking.charge(userId, 50_000, null)
      const released = yield* booking.hold(userId, ticket.queueToken, dateId, [1])
      yield* booking.releaseHold(userId, released.holdId)
      const held = yield* booking.hold(userId, ticket.queueToken, dateId, [2, 3])
      // Refused: a seat held, and a payment of a released hold.
      assert.isTrue(Result.isFailure(yield* Effect.result(booking.hold(userId, ticket.queueToken, dateId, [2]))))
      assert.isTrue(
        Result.isFailure(yield* Effect.result(booking.pay(userId, ticket.queueToken, released.holdId, null)))
      )
      const paid = yield* booking.pay(userId, ticket.queueToken, held.holdId, null)
      const refund = yield* booking.refund(userId, paid.paymentId, null)
      const events = yield* allEvents
      const mine = events.filter((event) => event.data.userId === userId)
      assert.deepStrictEqual(
        mine.map((event) => event.type),
        ["wallet.charged", "hold.created", "hold.released", "hold.created", "payment.completed", "payment.refunded"]
      )
      const [charged, created, releasedEvent, createdPaid, completed, refunded] = mine
      assert.deepInclude(charged!.data, { chargeId: charge.chargeId, amountKrw: 50_000, concertId: null })
      assert.deepInclude(created!.data, {
        concertId: concert.concertId,
        dateId,
        holdId: released.holdId,
        amountKrw: 10_000
      })
      assert.deepStrictEqual(created!.data.seatNumbers, [1])
      assert.strictEqual(DateTime.toEpochMillis(created!.data.expiresAt!), DateTime.toEpochMillis(released.expiresAt))
      assert.strictEqual(releasedEvent!.data.holdId, released.holdId)
      assert.deepStrictEqual(createdPaid!.data.seatNumbers, [2, 3])
      assert.deepInclude(completed!.data, { paymentId: paid.paymentId, holdId: held.holdId, amountKrw: 20_000 })
      assert.deepInclude(refunded!.data, { refundId: refund.refundId, paymentId: paid.paymentId, amountKrw: 20_000 })
      assert.strictEqual(DateTime.toEpochMillis(completed!.at), DateTime.toEpochMillis(paid.paidAt))
      // Sequences only rise (a write rolled back after taking its number leaves a gap).
      assert.isTrue(events.every((event, index) => index === 0 || event.sequence > events[index - 1]!.sequence))
      assert.strictEqual(new Set(events.map((event) => event.eventId)).size, events.length)
    })
  },
  {
    name: "an expiry is recorded once, at its time, by the first read after it",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const clock = yield* StoreClock
      const concert = yield* createConcert({ holdSeconds: 60 })
      const userId = yield* newUser
      const ticket = yield* booking.joinQueue(userId, concert.concertId)
      const hold = yield* booking.hold(userId, ticket.queueToken, concert.dates[0]!.dateId, [4])
      assert.deepStrictEqual(
        ofConcert(concert, yield* allEvents).map((event) => event.type),
        ["hold.created"]
      )
      yield* clock.advance(61_000)
      const after = ofConcert(concert, yield* allEvents)
      assert.deepStrictEqual(
        after.map((event) => event.type),
        ["hold.created", "hold.expired"]
      )
      assert.strictEqual(DateTime.toEpochMillis(after[1]!.at), DateTime.toEpochMillis(hold.expiresAt))
      yield* clock.advance(61_000)
      assert.lengthOf(ofConcert(concert, yield* allEvents), 2)
    })
  },
  {
    name: "50 concurrent charges: 50 events, in rising sequence; a reader resumes from its cursor",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const events = yield* Events
      const before = (yield* allEvents).length
      const userId = yield* newUser
      yield* Effect.forEach(Array.from({ length: 50 }), () => booking.charge(userId, 1_000, null), {
        concurrency: "unbounded"
      })
      const all = yield* allEvents
      assert.lengthOf(all, before + 50)
      assert.isTrue(all.every((event, index) => index === 0 || event.sequence > all[index - 1]!.sequence))
      const resumed = yield* events.read(all[before + 19]!.sequence, 100)
      assert.deepStrictEqual(
        resumed.map((event) => event.sequence),
        all.slice(before + 20).map((event) => event.sequence)
      )
      // The engine's stream gives the same events after a cursor.
      const streamed = yield* Stream.runCollect(
        booking.events(before === 0 ? 0 : all[before - 1]!.sequence).pipe(Stream.take(50))
      )
      assert.deepStrictEqual(
        [...streamed].map((event) => event.eventId),
        all.slice(before).map((event) => event.eventId)
      )
    })
  },
  {
    name: "sold out is recorded once per sell-out: again only after a refund put a seat back",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
      const concert = yield* booking.createConcert({
        title: "Sold out events",
        dates: [{ startsAt: DateTime.makeUnsafe(nowMs + 30 * 86_400_000), priceKrw: 1_000, seatCount: 1 }]
      })
      const buy = Effect.gen(function* () {
        const userId = yield* newUser
        const ticket = yield* booking.joinQueue(userId, concert.concertId)
        yield* booking.charge(userId, 1_000, null)
        const hold = yield* booking.hold(userId, ticket.queueToken, concert.dates[0]!.dateId, [1])
        return { userId, paid: yield* booking.pay(userId, ticket.queueToken, hold.holdId, null) }
      })
      const first = yield* buy
      yield* Events.use((events) => events.recordSoldOut(concert.concertId))
      const types = () =>
        Effect.map(allEvents, (events) =>
          ofConcert(concert, events)
            .map((event) => event.type)
            .join(",")
        )
      assert.strictEqual(yield* types(), "hold.created,payment.completed,concert.sold-out")
      yield* booking.refund(first.userId, first.paid.paymentId, null)
      yield* buy
      assert.strictEqual(
        yield* types(),
        "hold.created,payment.completed,concert.sold-out,payment.refunded,hold.created,payment.completed,concert.sold-out"
      )
    })
  },
  {
    name: "deliveries: the oldest of each concert is claimed once, a retry waits its time, delivered ones go",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const events = yield* Events
      const clock = yield* StoreClock
      const concert = yield* createConcert()
      // Claims this concert's deliveries; any other event claimed (earlier cases', expiries) is delivered.
      const claimOwn = Effect.gen(function* () {
        for (;;) {
          const claimed = yield* events.claimDeliveries(100, 30_000)
          const others = claimed.filter(({ event }) => event.data.concertId !== concert.concertId)
          yield* Effect.forEach(others, ({ event }) => events.settleDelivery(event.eventId, { _tag: "Delivered" }))
          const own = claimed.filter(({ event }) => event.data.concertId === concert.concertId)
          if (own.length > 0 || claimed.length === 0) return own
        }
      })
      const userId = yield* newUser
      const ticket = yield* booking.joinQueue(userId, concert.concertId)
      yield* booking.hold(userId, ticket.queueToken, concert.dates[0]!.dateId, [1])
      yield* booking.hold(userId, ticket.queueToken, concert.dates[0]!.dateId, [2])
      const first = yield* claimOwn
      assert.deepStrictEqual(
        first.map(({ event }) => [event.type, event.data.seatNumbers.join()]),
        [["hold.created", "1"]]
      )
      assert.strictEqual(first[0]!.attempts, 0)
      // Leased: nobody else gets it, and the next of its concert waits behind it.
      assert.lengthOf(yield* claimOwn, 0)
      yield* events.settleDelivery(first[0]!.event.eventId, { _tag: "Retry", retryAtMs: (yield* clock.nowMs) + 5_000 })
      assert.lengthOf(yield* claimOwn, 0)
      yield* clock.advance(5_000)
      const again = yield* claimOwn
      assert.deepStrictEqual(
        again.map(({ event, attempts }) => [event.eventId, attempts]),
        [[first[0]!.event.eventId, 1]]
      )
      yield* events.settleDelivery(again[0]!.event.eventId, { _tag: "Delivered" })
      const second = yield* claimOwn
      assert.deepStrictEqual(
        second.map(({ event }) => event.data.seatNumbers),
        [[2]]
      )
      yield* events.settleDelivery(second[0]!.event.eventId, { _tag: "Parked" })
      assert.isAtLeast((yield* events.deliveryBacklog).parked, 1)
      // Delivered events older than the retention are purged; the parked one stays.
      yield* clock.advance(10_000)
      yield* events.purge(5_000, 10_000, true)
      const left = ofConcert(concert, yield* allEvents)
      assert.deepStrictEqual(
        left.map((event) => event.eventId),
        [second[0]!.event.eventId]
      )
    })
  }
]

/**
 * Registers the cases with vitest for `adapter`; the contract suite calls it.
 *
 * @example
 * ```ts
 * import { eventCases } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * eventCases(adapter)
 * ```
 * @category suites
 */
export const eventCases = (adapter: AdapterUnderTest): void => {
  describe("events (the outbox)", () => {
    for (const eventCase of eventCaseList) {
      it(
        eventCase.name,
        () => Effect.runPromise(Effect.scoped(Effect.provide(eventCase.body, harnessLayer(adapter)))),
        60_000
      )
    }
  })
}
