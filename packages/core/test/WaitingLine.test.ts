/**
 * Proves the waiting line against a plain sorted array under random appends,
 * inserts anywhere, removals and shifts: every place, the front, the order
 * and the size agree after each step, and the line stays small.
 */
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { WaitingLine } from "../src/index.ts"

type Operation =
  | { readonly kind: "append" }
  | { readonly kind: "insert"; readonly sequence: number }
  | { readonly kind: "remove"; readonly pick: number }
  | { readonly kind: "removeAbsent"; readonly sequence: number }
  | { readonly kind: "shift" }

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "append" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("insert" as const), sequence: fc.integer({ min: 1, max: 600 }) })
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("removeAbsent" as const), sequence: fc.integer({ min: 1, max: 600 }) })
  },
  { weight: 2, arbitrary: fc.constant({ kind: "shift" as const }) }
)

/** Checks every query of the line against the sorted array `model`. */
const agrees = (line: WaitingLine, model: ReadonlyArray<number>, probes: ReadonlyArray<number>) => {
  assert.strictEqual(line.size, model.length)
  assert.strictEqual(line.first(), model[0])
  assert.deepStrictEqual(Array.from(line), model)
  for (let i = 0; i < model.length; i++) assert.strictEqual(line.position(model[i]!), i + 1)
  for (const probe of probes) {
    assert.strictEqual(line.has(probe), model.includes(probe))
    if (!model.includes(probe)) assert.isNull(line.position(probe))
  }
}

describe("WaitingLine", () => {
  it("agrees with a sorted array on every place after any appends, inserts, removals and shifts", () => {
    fc.assert(
      fc.property(
        fc.array(operation, { maxLength: 300 }),
        fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 20 }),
        (operations, probes) => {
          const line = new WaitingLine()
          const model: Array<number> = []
          let next = 1
          for (const step of operations) {
            switch (step.kind) {
              case "append": {
                next = Math.max(next, (model.at(-1) ?? 0) + 1)
                assert.isTrue(line.insert(next))
                model.push(next++)
                break
              }
              case "insert": {
                const present = model.includes(step.sequence)
                assert.strictEqual(line.insert(step.sequence), !present)
                if (!present) {
                  model.push(step.sequence)
                  model.sort((a, b) => a - b)
                }
                break
              }
              case "remove": {
                if (model.length === 0) break
                const sequence = model[step.pick % model.length]!
                assert.isTrue(line.remove(sequence))
                model.splice(model.indexOf(sequence), 1)
                assert.isFalse(line.remove(sequence))
                break
              }
              case "removeAbsent": {
                assert.strictEqual(line.remove(step.sequence), model.includes(step.sequence))
                if (model.includes(step.sequence)) model.splice(model.indexOf(step.sequence), 1)
                break
              }
              case "shift":
                assert.strictEqual(line.shift(), model.shift())
                break
            }
            assert.strictEqual(line.size, model.length)
          }
          agrees(line, model, probes)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("built from sorted sequences, answers as the same line built by appends", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 200 }), (raw) => {
        const sorted = [...raw].sort((a, b) => a - b)
        agrees(WaitingLine.fromSorted(sorted), sorted, [0, 10_001])
      }),
      { numRuns: 200 }
    )
  })

  it("refuses to build from sequences that do not ascend", () => {
    assert.throws(() => WaitingLine.fromSorted([1, 3, 3]), RangeError)
    assert.throws(() => WaitingLine.fromSorted([2, 1]), RangeError)
  })

  it("removing 100,000 waiters one by one from the middle out does each in O(log n)", () => {
    const line = new WaitingLine()
    for (let i = 1; i <= 100_000; i++) line.insert(i)
    for (let i = 50_000; i >= 1; i--) line.remove(i)
    assert.strictEqual(line.size, 50_000)
    assert.strictEqual(line.position(50_001), 1)
    assert.strictEqual(line.position(100_000), 50_000)
    for (let i = 50_001; i <= 100_000; i++) line.remove(i)
    assert.strictEqual(line.size, 0)
    assert.isUndefined(line.shift())
  })

  it("stays within about 13 bytes a waiter, with its spare capacity, for 10^6 waiters", () => {
    const sequences = Float64Array.from({ length: 1_000_000 }, (_, i) => i + 1)
    const line = WaitingLine.fromSorted(sequences)
    // 8 (sequence) + 1 (flag) + 4 (tree) bytes a slot, and a quarter to spare.
    assert.isAtMost(line.retainedBytes, 1_000_000 * 13 * 1.25 + 64)
    assert.strictEqual(line.position(1_000_000), 1_000_000)
  })
})
