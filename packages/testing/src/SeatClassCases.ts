/**
 * Contract cases of seat classes: a date may declare classes with their own
 * prices, each a range of seats; seats outside every class cost the date's
 * price. Creation refuses classes that break the rules, naming the field;
 * the seat map gives each seat its price and class; the date list gives the
 * price range of the available seats; a hold prices itself from its seats
 * and fixes their prices into the hold; a payment pays exactly those (L3 per
 * seat) and its receipt lists them; the operator's report counts each class
 * as well as each date. A concert without classes sells as it always did.
 *
 * @since 0.5.0
 */
import { Booking, Catalog, type Concert, type NewConcert, SeatInventory, type UserId } from "@boxoffice/core"
import { DateTime, Effect, Option, Result } from "effect"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { createConcert, harnessLayer, type HarnessServices, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"
import type { StoreStall } from "./StoreStall.ts"

const vip = { name: "VIP", priceKrw: 50_000, from: 1, to: 2 }
const r = { name: "R", priceKrw: 30_000, from: 3, to: 3 }

/**
 * A concert whose first date has 5 seats: VIP (1..2) at 50,000, R (3) at
 * 30,000, and seats 4 and 5 at the date's 10,000; its second date has no
 * classes, 4 seats at 20,000.
 */
const classedConcert = (overrides: Partial<NewConcert> = {}) =>
  Effect.gen(function* () {
    const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
    return yield* createConcert({
      dates: [
        {
          startsAt: DateTime.makeUnsafe(nowMs + 30 * 86_400_000),
          priceKrw: 10_000,
          seatCount: 5,
          classes: [vip, r]
        },
        { startsAt: DateTime.makeUnsafe(nowMs + 31 * 86_400_000), priceKrw: 20_000, seatCount: 4 }
      ],
      maxSeatsPerUser: 5,
      holdSeconds: 60,
      ...overrides
    })
  })

/** A fresh user admitted to `concert`, with `balanceKrw` charged. */
const buyer = (concert: Concert, balanceKrw = 0) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const userId = yield* newUser
    const ticket = yield* booking.joinQueue(userId, concert.concertId)
    assert.strictEqual(ticket.entry.status, "active")
    if (balanceKrw > 0) yield* booking.charge(userId, balanceKrw, null)
    return { userId, token: ticket.queueToken }
  })

/** The refusal of a concert whose first date declares `classes`, as `[tag, detail]`. */
const refusalOf = (classes: NonNullable<NewConcert["dates"][number]["classes"]>, seatCount = 5) =>
  Effect.gen(function* () {
    const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
    const result = yield* Effect.result(
      createConcert({
        dates: [
          { startsAt: DateTime.makeUnsafe(nowMs + 86_400_000), priceKrw: 10_000, seatCount: 20 },
          { startsAt: DateTime.makeUnsafe(nowMs + 30 * 86_400_000), priceKrw: 10_000, seatCount, classes }
        ]
      })
    )
    if (Result.isSuccess(result)) return assert.fail(`classes ${JSON.stringify(classes)} were accepted`)
    const failure = result.failure as { readonly _tag: string; readonly detail?: string }
    return [failure._tag, failure.detail ?? ""] as const
  })

/** The seats of `concert`'s date `index` as `[seatNumber, priceKrw, className, status]`. */
const seatMap = (concert: Concert, index: number) =>
  Effect.map(
    SeatInventory.use((inventory) => inventory.seats(concert.dates[index]!)),
    (seats) => seats.map((seat) => [seat.seatNumber, seat.priceKrw, seat.className, seat.status] as const)
  )

/** What the date list says of each date: `[availableSeats, minPriceKrw, maxPriceKrw]`. */
const dateList = (concert: Concert, userId: UserId, token: string) =>
  Effect.map(
    Booking.use((booking) => booking.listDates(userId, token, concert.concertId)),
    (dates) => dates.map((d) => [d.availableSeats, d.minPriceKrw, d.maxPriceKrw] as const)
  )

/** The report's numbers per class of the concert's date `index`: `[name, priceKrw, available, held, sold, revenueKrw]`. */
const classReport = (concert: Concert, index: number) =>
  Effect.map(
    Booking.use((booking) => booking.saleReport(concert.concertId)),
    (report) =>
      report.dates[index]!.classes.map((c) => [c.name, c.priceKrw, c.available, c.held, c.sold, c.revenueKrw] as const)
  )

/** One contract case of seat classes. @category models */
export interface SeatClassCase {
  readonly name: string
  readonly body: Effect.Effect<void, unknown, HarnessServices | StoreStall>
}

/**
 * The cases, each exported on its own so that an adapter's tests can run
 * one against a deliberately broken store.
 *
 * @category suites
 */
export const seatClassCaseList: ReadonlyArray<SeatClassCase> = [
  {
    name: "creation refuses overlapping, out-of-range and badly named classes, naming the field, and saves nothing",
    body: Effect.gen(function* () {
      const catalog = yield* Catalog
      const before = (yield* catalog.listConcerts).length
      const overlap = yield* refusalOf([vip, { name: "R", priceKrw: 30_000, from: 2, to: 4 }])
      assert.deepStrictEqual(overlap, [
        "InvalidRequest",
        'dates[1].classes[1]: seats 2..4 overlap dates[1].classes[0] "VIP" (1..2)'
      ])
      assert.deepStrictEqual(yield* refusalOf([{ ...vip, to: 6 }]), [
        "InvalidRequest",
        "dates[1].classes[0].to: 6 is past the date's last seat, 5"
      ])
      assert.deepStrictEqual(yield* refusalOf([{ ...vip, from: 0 }]), [
        "InvalidRequest",
        "dates[1].classes[0].from: 0 is not a seat of the date, 1..5"
      ])
      assert.deepStrictEqual(yield* refusalOf([{ ...vip, from: 2, to: 1 }]), [
        "InvalidRequest",
        "dates[1].classes[0].from: 2 is after to, 1"
      ])
      assert.deepStrictEqual(yield* refusalOf([vip, { ...r, name: "VIP" }]), [
        "InvalidRequest",
        'dates[1].classes[1].name: "VIP" already names dates[1].classes[0]'
      ])
      assert.deepStrictEqual(yield* refusalOf([{ ...vip, name: "" }]), [
        "InvalidRequest",
        "dates[1].classes[0].name: must be 1 to 40 characters, not 0"
      ])
      assert.deepStrictEqual(yield* refusalOf([{ ...vip, name: "x".repeat(41) }]), [
        "InvalidRequest",
        "dates[1].classes[0].name: must be 1 to 40 characters, not 41"
      ])
      assert.strictEqual((yield* catalog.listConcerts).length, before)
    })
  },
  {
    name: "the catalog keeps each date's classes; a date without classes has none",
    body: Effect.gen(function* () {
      const catalog = yield* Catalog
      const concert = yield* classedConcert()
      const found = Option.getOrThrow(yield* catalog.findConcert(concert.concertId))
      assert.deepStrictEqual(
        found.dates.map((date) => date.classes.map((c) => ({ ...c }))),
        [[vip, r], []]
      )
      const date = Option.getOrThrow(yield* catalog.findDate(concert.dates[0]!.dateId))
      assert.deepStrictEqual(
        date.classes.map((c) => c.name),
        ["VIP", "R"]
      )
    })
  },
  {
    name: "the seat map gives each seat its own price and class (null outside every class)",
    body: Effect.gen(function* () {
      const concert = yield* classedConcert()
      assert.deepStrictEqual(yield* seatMap(concert, 0), [
        [1, 50_000, "VIP", "available"],
        [2, 50_000, "VIP", "available"],
        [3, 30_000, "R", "available"],
        [4, 10_000, null, "available"],
        [5, 10_000, null, "available"]
      ])
      assert.deepStrictEqual(yield* seatMap(concert, 1), [
        [1, 20_000, null, "available"],
        [2, 20_000, null, "available"],
        [3, 20_000, null, "available"],
        [4, 20_000, null, "available"]
      ])
      const booking = yield* Booking
      const user = yield* buyer(concert)
      const listed = yield* booking.listSeats(user.userId, user.token, concert.dates[0]!.dateId)
      assert.deepStrictEqual(
        listed.map((seat) => [seat.priceKrw, seat.className]),
        [
          [50_000, "VIP"],
          [50_000, "VIP"],
          [30_000, "R"],
          [10_000, null],
          [10_000, null]
        ]
      )
    })
  },
  {
    name: "the date list gives the price range of the available seats, null when none is left",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* classedConcert()
      const dateId = concert.dates[0]!.dateId
      const { userId, token } = yield* buyer(concert)
      assert.deepStrictEqual(yield* dateList(concert, userId, token), [
        [5, 10_000, 50_000],
        [4, 20_000, 20_000]
      ])
      yield* booking.hold(userId, token, dateId, [4, 5])
      assert.deepStrictEqual((yield* dateList(concert, userId, token))[0], [3, 30_000, 50_000])
      yield* booking.hold(userId, token, dateId, [1, 2])
      assert.deepStrictEqual((yield* dateList(concert, userId, token))[0], [1, 30_000, 30_000])
      yield* booking.hold(userId, token, dateId, [3])
      assert.deepStrictEqual((yield* dateList(concert, userId, token))[0], [0, null, null])
      // Held seats come back when their holds expire, and so does their price.
      yield* StoreClock.use((clock) => clock.advance(61_000))
      const again = yield* buyer(concert)
      assert.deepStrictEqual((yield* dateList(concert, again.userId, again.token))[0], [5, 10_000, 50_000])
    })
  },
  {
    name: "a hold across two classes costs the sum of its seats' prices, each fixed into the hold",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* classedConcert()
      const { userId, token } = yield* buyer(concert)
      const hold = yield* booking.hold(userId, token, concert.dates[0]!.dateId, [4, 2, 3])
      assert.deepStrictEqual(hold.seatNumbers, [2, 3, 4])
      assert.strictEqual(hold.amountKrw, 50_000 + 30_000 + 10_000)
      const fixed = [
        { seatNumber: 2, priceKrw: 50_000, className: "VIP" },
        { seatNumber: 3, priceKrw: 30_000, className: "R" },
        { seatNumber: 4, priceKrw: 10_000, className: null }
      ]
      assert.deepStrictEqual(hold.seats, fixed)
      assert.deepStrictEqual((yield* booking.getHold(userId, hold.holdId)).seats, fixed)
      const stored = Option.getOrThrow(yield* SeatInventory.use((inventory) => inventory.findHold(hold.holdId)))
      assert.deepStrictEqual([stored.amountKrw, stored.seats], [90_000, fixed])
      // A date without classes: every seat at the date's price, no class.
      const plain = yield* booking.hold(userId, token, concert.dates[1]!.dateId, [1, 2])
      assert.strictEqual(plain.amountKrw, 40_000)
      assert.deepStrictEqual(plain.seats, [
        { seatNumber: 1, priceKrw: 20_000, className: null },
        { seatNumber: 2, priceKrw: 20_000, className: null }
      ])
    })
  },
  {
    name: "a payment pays its seats' prices; its receipt, a replay and the payment list give each seat",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* classedConcert()
      const { userId, token } = yield* buyer(concert, 100_000)
      const hold = yield* booking.hold(userId, token, concert.dates[0]!.dateId, [1, 5])
      const receipt = yield* booking.pay(userId, token, hold.holdId, "classes-1")
      const seats = [
        { seatNumber: 1, priceKrw: 50_000, className: "VIP" },
        { seatNumber: 5, priceKrw: 10_000, className: null }
      ]
      assert.deepStrictEqual([receipt.amountKrw, receipt.seatNumbers, receipt.seats], [60_000, [1, 5], seats])
      assert.strictEqual(receipt.balanceKrw, 40_000)
      assert.strictEqual(yield* booking.balance(userId), 40_000)
      // The retry answers the first receipt, seats and all.
      const replayed = yield* booking.pay(userId, token, hold.holdId, "classes-1")
      const fields = (paid: typeof receipt) =>
        [paid.paymentId, paid.amountKrw, paid.seatNumbers, paid.seats, DateTime.toEpochMillis(paid.paidAt)] as const
      assert.deepStrictEqual(fields(replayed), fields(receipt))
      const [payment] = yield* booking.listPayments(userId)
      assert.deepStrictEqual([payment!.amountKrw, payment!.seats], [60_000, seats])
      assert.deepStrictEqual(
        (yield* seatMap(concert, 0)).map(([, , , status]) => status),
        ["sold", "available", "available", "available", "sold"]
      )
    })
  },
  {
    name: "a hold that reserves funds reserves the sum of its seats' prices",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* classedConcert({ holdNeedsFunds: true })
      const dateId = concert.dates[0]!.dateId
      const { userId, token } = yield* buyer(concert, 70_000)
      const refused = yield* Effect.result(booking.hold(userId, token, dateId, [1, 2]))
      assert.isTrue(Result.isFailure(refused))
      if (Result.isFailure(refused) && refused.failure._tag === "InsufficientBalance") {
        assert.deepStrictEqual([refused.failure.balanceKrw, refused.failure.neededKrw], [70_000, 100_000])
      } else assert.fail("expected InsufficientBalance")
      const held = yield* booking.hold(userId, token, dateId, [3, 4])
      assert.strictEqual(held.amountKrw, 40_000)
      const funds = yield* booking.funds(userId)
      assert.deepStrictEqual([funds.balanceKrw, funds.availableKrw], [70_000, 30_000])
    })
  },
  {
    name: "the sale report counts each class as well as each date, revenue by the seats' prices",
    body: Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* classedConcert({ queue: { maxActive: 10 } })
      const dateId = concert.dates[0]!.dateId
      assert.deepStrictEqual(yield* classReport(concert, 0), [
        ["VIP", 50_000, 2, 0, 0, 0],
        ["R", 30_000, 1, 0, 0, 0]
      ])
      const a = yield* buyer(concert, 200_000)
      const b = yield* buyer(concert)
      const paid = yield* booking.hold(a.userId, a.token, dateId, [1, 4])
      yield* booking.pay(a.userId, a.token, paid.holdId, null)
      yield* booking.hold(b.userId, b.token, dateId, [2, 3])
      const report = yield* booking.saleReport(concert.concertId)
      const [first, second] = report.dates
      assert.deepStrictEqual([first!.available, first!.held, first!.sold, first!.revenueKrw], [1, 2, 2, 60_000])
      assert.deepStrictEqual(yield* classReport(concert, 0), [
        ["VIP", 50_000, 0, 1, 1, 50_000],
        ["R", 30_000, 0, 1, 0, 0]
      ])
      // A date without classes has no class rows.
      assert.deepStrictEqual(
        [second!.available, second!.held, second!.sold, second!.revenueKrw, second!.classes.length],
        [4, 0, 0, 0, 0]
      )
      // An expired hold's seats count as available again, in their class too.
      yield* StoreClock.use((clock) => clock.advance(61_000))
      assert.deepStrictEqual(yield* classReport(concert, 0), [
        ["VIP", 50_000, 1, 0, 1, 50_000],
        ["R", 30_000, 1, 0, 0, 0]
      ])
    })
  }
]

/**
 * Registers the cases with vitest for `adapter`; the contract suite calls it.
 *
 * @example
 * ```ts
 * import { seatClassCases } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * seatClassCases(adapter)
 * ```
 * @category suites
 */
export const seatClassCases = (adapter: AdapterUnderTest): void => {
  describe("seat classes: each seat its own price, a payment their sum (L3)", () => {
    for (const classCase of seatClassCaseList) {
      it(
        classCase.name,
        () => Effect.runPromise(Effect.scoped(Effect.provide(classCase.body, harnessLayer(adapter)))),
        60_000
      )
    }
  })
}
