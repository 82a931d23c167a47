/**
 * Proves the waiting line against a plain array model under random pushes,
 * removals and shifts, and that it stays small.
 */
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { WaitingLine } from "../src/internal/WaitingLine.ts"

describe("WaitingLine", () => {
  it("agrees with an array model on every position after any sequence of pushes, removals and shifts", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constant({ kind: "push" as const }),
            fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
            fc.constant({ kind: "shift" as const })
          ),
          { maxLength: 400 }
        ),
        (operations) => {
          const line = new WaitingLine()
          const model: Array<number> = []
          let next = 1
          for (const operation of operations) {
            if (operation.kind === "push") {
              line.push(next)
              model.push(next++)
            } else if (operation.kind === "shift") {
              assert.strictEqual(line.shift(), model.shift())
            } else if (model.length > 0) {
              const sequence = model[operation.pick % model.length]!
              assert.isTrue(line.remove(sequence))
              model.splice(model.indexOf(sequence), 1)
              assert.isFalse(line.remove(sequence))
            }
            assert.strictEqual(line.size, model.length)
          }
          for (let i = 0; i < model.length; i++) assert.strictEqual(line.position(model[i]!), i + 1)
          assert.isNull(line.position(next))
        }
      ),
      { numRuns: 300 }
    )
  })

  it("removing 100,000 waiters one by one from the middle out does each in O(log n)", () => {
    const line = new WaitingLine()
    for (let i = 1; i <= 100_000; i++) line.push(i)
    for (let i = 50_000; i >= 1; i--) line.remove(i)
    assert.strictEqual(line.size, 50_000)
    assert.strictEqual(line.position(50_001), 1)
    assert.strictEqual(line.position(100_000), 50_000)
    for (let i = 50_001; i <= 100_000; i++) line.remove(i)
    assert.strictEqual(line.size, 0)
    assert.isUndefined(line.shift())
  })
})
