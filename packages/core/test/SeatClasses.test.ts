/**
 * Proves the seat-class rules: which classes a date may declare (each
 * refusal names the field), which class a seat is in and what it costs, and
 * that a hold's amount is the sum of its seats' own prices.
 */
import { DateTime, Result, Schema } from "effect"
import { assert, describe, it } from "vitest"
import {
  checkSeatClasses,
  ConcertDate,
  Limits,
  priceSeats,
  type SeatClassInput,
  seatClassOf,
  seatPriceKrw,
  seatsAmountKrw
} from "../src/index.ts"

const vip = { name: "VIP", priceKrw: 150_000, from: 1, to: 10 }
const r = { name: "R", priceKrw: 100_000, from: 11, to: 30 }

/** The refusal's detail, or fails the test if the classes pass. */
const refusal = (classes: ReadonlyArray<SeatClassInput>, seatCount = 50): string => {
  const result = checkSeatClasses(classes, seatCount, "dates[0].classes")
  if (Result.isSuccess(result)) return assert.fail(`${JSON.stringify(classes)} passed`)
  assert.strictEqual(result.failure._tag, "InvalidRequest")
  assert.strictEqual(result.failure.code, "invalid-request")
  return result.failure.detail
}

describe("checkSeatClasses", () => {
  it("accepts no classes, adjacent ranges, a class of one seat and a class of every seat", () => {
    for (const classes of [
      [],
      [vip, r],
      [r, vip],
      [{ name: "Box", priceKrw: 0, from: 50, to: 50 }],
      [{ name: "All", priceKrw: Limits.priceKrwMax, from: 1, to: 50 }],
      [{ name: "x".repeat(Limits.seatClassNameLengthMax), priceKrw: 1, from: 5, to: 5 }]
    ]) {
      assert.isTrue(Result.isSuccess(checkSeatClasses(classes, 50, "classes")), JSON.stringify(classes))
    }
  })

  it("refuses overlapping ranges, naming both classes", () => {
    assert.strictEqual(
      refusal([vip, { name: "R", priceKrw: 100_000, from: 10, to: 20 }]),
      'dates[0].classes[1]: seats 10..20 overlap dates[0].classes[0] "VIP" (1..10)'
    )
    // One range inside another, and the later class listed first.
    assert.match(
      refusal([r, { name: "S", priceKrw: 1, from: 12, to: 13 }]),
      /^dates\[0\]\.classes\[1\]: seats 12\.\.13 overlap/
    )
    assert.match(
      refusal([r, vip, { name: "A", priceKrw: 1, from: 1, to: 50 }]),
      /^dates\[0\]\.classes\[2\]: .* overlap dates\[0\]\.classes\[0\] "R"/
    )
  })

  it("refuses ranges outside the date's seats, or backwards, naming from or to", () => {
    assert.strictEqual(
      refusal([{ ...vip, from: 41, to: 60 }]),
      "dates[0].classes[0].to: 60 is past the date's last seat, 50"
    )
    assert.strictEqual(
      refusal([vip, { ...r, from: 0 }]),
      "dates[0].classes[1].from: 0 is not a seat of the date, 1..50"
    )
    assert.strictEqual(
      refusal([{ ...vip, from: 51, to: 51 }]),
      "dates[0].classes[0].from: 51 is not a seat of the date, 1..50"
    )
    assert.strictEqual(refusal([{ ...vip, from: 9, to: 5 }]), "dates[0].classes[0].from: 9 is after to, 5")
    assert.match(refusal([{ ...vip, to: 2.5 }]), /^dates\[0\]\.classes\[0\]\.to: /)
    assert.match(refusal([{ ...vip, from: 1.5 }]), /^dates\[0\]\.classes\[0\]\.from: /)
    // The date's own seat count decides, not the largest date's.
    assert.match(refusal([vip], 5), /^dates\[0\]\.classes\[0\]\.to: 10 is past the date's last seat, 5$/)
  })

  it("refuses a name used twice in the date, naming the first", () => {
    assert.strictEqual(
      refusal([vip, { ...r, name: "VIP" }]),
      'dates[0].classes[1].name: "VIP" already names dates[0].classes[0]'
    )
    // Names are compared exactly: another case is another name.
    assert.isTrue(Result.isSuccess(checkSeatClasses([vip, { ...r, name: "vip" }], 50)))
  })

  it("refuses an empty or too long name", () => {
    assert.strictEqual(refusal([{ ...vip, name: "" }]), "dates[0].classes[0].name: must be 1 to 40 characters, not 0")
    assert.strictEqual(
      refusal([vip, { ...r, name: "x".repeat(41) }]),
      "dates[0].classes[1].name: must be 1 to 40 characters, not 41"
    )
  })

  it("refuses a price outside the bounds of every price, and too many classes", () => {
    assert.match(refusal([{ ...vip, priceKrw: -1 }]), /^dates\[0\]\.classes\[0\]\.priceKrw: /)
    assert.match(refusal([{ ...vip, priceKrw: Limits.priceKrwMax + 1 }]), /^dates\[0\]\.classes\[0\]\.priceKrw: /)
    assert.match(refusal([{ ...vip, priceKrw: 1.5 }]), /^dates\[0\]\.classes\[0\]\.priceKrw: /)
    const many = Array.from({ length: Limits.seatClassesPerDateMax + 1 }, (_, i) => ({
      name: `C${i}`,
      priceKrw: 1_000,
      from: i + 1,
      to: i + 1
    }))
    assert.strictEqual(refusal(many), `dates[0].classes: at most 20 classes per date, not 21`)
    assert.isTrue(Result.isSuccess(checkSeatClasses(many.slice(1), 50)))
  })
})

describe("seat prices", () => {
  const date = { priceKrw: 50_000, classes: [vip, r] }

  it("a seat costs its class's price, or the date's outside every class", () => {
    assert.strictEqual(seatClassOf(date, 1)?.name, "VIP")
    assert.strictEqual(seatClassOf(date, 10)?.name, "VIP")
    assert.strictEqual(seatClassOf(date, 11)?.name, "R")
    assert.isUndefined(seatClassOf(date, 31))
    assert.deepStrictEqual(
      [1, 10, 11, 30, 31, 50].map((n) => seatPriceKrw(date, n)),
      [150_000, 150_000, 100_000, 100_000, 50_000, 50_000]
    )
    assert.strictEqual(seatPriceKrw({ priceKrw: 7_000, classes: [] }, 3), 7_000)
  })

  it("a hold's seats keep the order asked, each with its price and class; the amount is their sum", () => {
    const seats = priceSeats(date, [31, 2, 11])
    assert.deepStrictEqual(seats, [
      { seatNumber: 31, priceKrw: 50_000, className: null },
      { seatNumber: 2, priceKrw: 150_000, className: "VIP" },
      { seatNumber: 11, priceKrw: 100_000, className: "R" }
    ])
    assert.strictEqual(seatsAmountKrw(seats), 300_000)
    assert.strictEqual(seatsAmountKrw([]), 0)
  })

  it("a date stored before classes existed decodes with none, and classes survive encoding", () => {
    const codec = Schema.toCodecJson(ConcertDate)
    const stored = {
      dateId: "7d4a4d0e-2b9f-4e3a-9a49-0c6a0d6f3c11",
      concertId: "5c84de24-042d-4a14-812f-0dde64f71614",
      startsAt: "2031-05-01T19:00:00.000Z",
      priceKrw: 10_000,
      seatCount: 50
    }
    assert.deepStrictEqual(Schema.decodeUnknownSync(codec)(stored).classes, [])
    const withClasses = Schema.decodeUnknownSync(codec)({ ...stored, classes: [vip] })
    assert.strictEqual(withClasses.classes[0]!.name, "VIP")
    assert.deepStrictEqual((Schema.encodeSync(codec)(withClasses) as { readonly classes: unknown }).classes, [vip])
    assert.strictEqual(DateTime.toEpochMillis(withClasses.startsAt), Date.UTC(2031, 4, 1, 19))
  })
})
