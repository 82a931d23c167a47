/**
 * Expected outcomes record no stack frames and are otherwise the same
 * errors; failures of a store keep their stacks; the limit on frames is
 * restored after each, also when making the error throws.
 */
import { QueueNotAdmitted, SeatUnavailable, Unavailable, withoutStackTrace } from "@boxoffice/core"
import { Schema } from "effect"
import { assert, describe, it } from "vitest"

const frames = (error: Error) => (error.stack ?? "").split("\n").filter((line) => line.trimStart().startsWith("at ")).length

describe("stack traces", () => {
  it("an outcome error records no frames and is otherwise the same error", () => {
    const limit = Error.stackTraceLimit
    const refusal = new SeatUnavailable({ seatNumbers: [3, 4] })
    assert.strictEqual(frames(refusal), 0)
    assert.strictEqual(Error.stackTraceLimit, limit)
    assert.instanceOf(refusal, SeatUnavailable)
    assert.instanceOf(refusal, Error)
    assert.strictEqual(refusal._tag, "SeatUnavailable")
    assert.strictEqual(refusal.code, "seat-unavailable")
    assert.deepStrictEqual(refusal.seatNumbers, [3, 4])
    assert.isTrue(Schema.is(SeatUnavailable)(refusal))
    const decoded = Schema.decodeUnknownSync(QueueNotAdmitted)({ _tag: "QueueNotAdmitted", position: 12 })
    assert.instanceOf(decoded, QueueNotAdmitted)
    assert.strictEqual(decoded.position, 12)
    assert.strictEqual(frames(decoded), 0)
  })

  it("a store failure keeps its stack", () => {
    assert.isAbove(frames(new Unavailable({ store: "postgres", cause: new Error("refused") })), 0)
  })

  it("withoutStackTrace makes any error without frames, and restores the limit even when making it throws", () => {
    const limit = Error.stackTraceLimit
    assert.strictEqual(frames(withoutStackTrace(() => new Error("sold out"))), 0)
    assert.strictEqual(Error.stackTraceLimit, limit)
    assert.throws(() => withoutStackTrace(() => { throw new Error("no") }), "no")
    assert.strictEqual(Error.stackTraceLimit, limit)
    assert.isAbove(frames(new Error("after")), 0)
  })
})
