/**
 * Proves the seat rules: seats must exist and be distinct, and a user keeps
 * at most maxSeatsPerUser per date.
 */
import { Result } from "effect"
import { assert, describe, it } from "vitest"
import { checkSeatLimit, checkSeatRange } from "../src/index.ts"

describe("checkSeatRange", () => {
  it("accepts distinct seats in 1..seatCount", () => {
    assert.isTrue(Result.isSuccess(checkSeatRange([1, 50, 7], 50)))
  })
  it("rejects empty, out-of-range, fractional and repeated seats", () => {
    for (const seats of [[], [0], [51], [-1], [1.5], [3, 3]]) {
      const result = checkSeatRange(seats, 50)
      assert.isTrue(Result.isFailure(result) && result.failure._tag === "InvalidRequest", JSON.stringify(seats))
    }
  })
})

describe("checkSeatLimit", () => {
  it("allows up to the limit exactly", () => {
    assert.isTrue(Result.isSuccess(checkSeatLimit({ seatsAlready: 2, seatsRequested: 2, maxSeatsPerUser: 4 })))
  })
  it("refuses one seat past it, saying how many the user has", () => {
    const result = checkSeatLimit({ seatsAlready: 3, seatsRequested: 2, maxSeatsPerUser: 4 })
    assert.isTrue(Result.isFailure(result))
    if (Result.isFailure(result)) {
      assert.strictEqual(result.failure.seatsAlready, 3)
      assert.strictEqual(result.failure.maxSeatsPerUser, 4)
    }
  })
})
