/**
 * A problem answers an expected outcome, so `toProblem` makes it without a
 * stack trace (it cost a tenth of a hot-seat storm's server time), and the
 * problem still carries its status and code.
 */
import { SeatUnavailable } from "@boxoffice/core"
import { assert, describe, it } from "vitest"
import { toProblem } from "../src/Problems.ts"

describe("problems", () => {
  it("are made with no stack frames, with their status and code", () => {
    const problem = toProblem(new SeatUnavailable({ seatNumbers: [9] }))
    const frames = (problem.stack ?? "").split("\n").filter((line) => line.trimStart().startsWith("at ")).length
    assert.strictEqual(frames, 0)
    assert.strictEqual(problem.status, 409)
    assert.strictEqual(problem.code, "seat-unavailable")
  })
})
