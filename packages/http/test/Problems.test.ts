/**
 * Problem details read as sentences, for one seat and for many, and say
 * nothing of a store's address or cause, which only the log shows.
 */
import { SeatUnavailable, Unavailable } from "@boxoffice/core"
import { toProblem } from "@boxoffice/http"
import { assert, describe, it } from "vitest"

describe("problem details", () => {
  it("a seat conflict names its seats in a sentence, one or many", () => {
    assert.strictEqual(
      toProblem(new SeatUnavailable({ seatNumbers: [12] })).detail,
      "seat 12 is held or sold; nothing was held"
    )
    assert.strictEqual(
      toProblem(new SeatUnavailable({ seatNumbers: [12, 13] })).detail,
      "seats 12 and 13 are held or sold; nothing was held"
    )
    assert.deepStrictEqual(toProblem(new SeatUnavailable({ seatNumbers: [3, 4, 5] })).seatNumbers, [3, 4, 5])
  })

  it("an unavailable store is named to the client without where it is or why", () => {
    const error = new Unavailable({
      store: "postgres",
      address: "10.0.0.5:5432/boxoffice",
      cause: new Error("connect ECONNREFUSED 10.0.0.5:5432")
    })
    assert.include(error.message, "10.0.0.5:5432")
    assert.strictEqual(toProblem(error).detail, "the postgres store is unreachable; retry")
  })
})
