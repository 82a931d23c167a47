/**
 * Proves the sold-out rules: a concert is sold out when every seat of every
 * upcoming date is sold (a held seat may come back, so it keeps the sale
 * open), a line marked sold out admits nobody, and its pending and waiting
 * entries read `sold-out` while active users keep their windows.
 */
import { DateTime } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import {
  admissionsAllowed,
  ConcertDate,
  ConcertId,
  DateId,
  isSoldOut,
  QueuePolicy,
  queueStatusOf,
  upcomingDates
} from "../src/index.ts"

const counts = fc.record({ available: fc.nat({ max: 3 }), held: fc.nat({ max: 3 }) })

describe("isSoldOut", () => {
  it("is true exactly when some date is counted and no seat of any is available or held", () => {
    fc.assert(
      fc.property(fc.array(counts, { maxLength: 4 }), (dates) => {
        const unsold = dates.reduce((sum, date) => sum + date.available + date.held, 0)
        assert.strictEqual(isSoldOut(dates), dates.length > 0 && unsold === 0)
      })
    )
  })

  it("a held seat keeps the sale open; a concert with no upcoming date is over, not sold out", () => {
    assert.isFalse(
      isSoldOut([
        { available: 0, held: 0 },
        { available: 0, held: 1 }
      ])
    )
    assert.isTrue(
      isSoldOut([
        { available: 0, held: 0 },
        { available: 0, held: 0 }
      ])
    )
    assert.isFalse(isSoldOut([]))
  })
})

describe("upcomingDates", () => {
  it("keeps the dates that start after now, in their order", () => {
    const date = (startsAtMs: number, index: number) =>
      new ConcertDate({
        dateId: DateId.make(`00000000-0000-4000-8000-00000000000${index}`),
        concertId: ConcertId.make("00000000-0000-4000-8000-000000000000"),
        startsAt: DateTime.makeUnsafe(startsAtMs),
        priceKrw: 1_000,
        seatCount: 1
      })
    const dates = [date(3_000, 1), date(1_000, 2), date(2_000, 3)]
    assert.deepStrictEqual(
      upcomingDates(dates, 1_000).map((d) => d.dateId),
      [dates[0]!.dateId, dates[2]!.dateId]
    )
    assert.deepStrictEqual(upcomingDates(dates, 3_000), [])
  })
})

describe("queueStatusOf", () => {
  it("answers pending and waiting entries of a sold-out line sold-out; active and ended ones as ever", () => {
    assert.deepStrictEqual(
      (["pending", "waiting", "active", "ended"] as const).map((state) => [
        queueStatusOf(state, false),
        queueStatusOf(state, true)
      ]),
      [
        ["pending", "sold-out"],
        ["waiting", "sold-out"],
        ["active", "active"],
        ["expired", "expired"]
      ]
    )
  })
})

describe("admissionsAllowed while sold out", () => {
  it("admits nobody, whatever room both caps leave", () => {
    const policy = new QueuePolicy({ maxActive: 100, activeSeconds: 600, admitPerMinute: null })
    const input = { policy, nowMs: 0, activeCount: 0, waitingCount: 7, admissionTimesMs: [] }
    assert.strictEqual(admissionsAllowed(input), 7)
    assert.strictEqual(admissionsAllowed({ ...input, soldOut: true }), 0)
  })
})
