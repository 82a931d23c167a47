/**
 * Proves the fair-start rules: when a sale counts as open, that nobody is
 * admitted before, and that the draw gives every order exactly one way to
 * happen (so a uniform source makes it uniform).
 */
import { assert, describe, it } from "vitest"
import { admissionsAllowed, drawOrder, isSaleOpen, QueuePolicy } from "../src/index.ts"

describe("isSaleOpen", () => {
  it("is open at once without an opening time", () => {
    assert.isTrue(isSaleOpen(null, 0))
  })
  it("opens at the very millisecond of opensAt, not before", () => {
    assert.isFalse(isSaleOpen(1_000, 999))
    assert.isTrue(isSaleOpen(1_000, 1_000))
    assert.isTrue(isSaleOpen(1_000, 5_000))
  })
})

describe("admissionsAllowed before the opening", () => {
  const policy = new QueuePolicy({ maxActive: 10, activeSeconds: 600, admitPerMinute: null })
  it("admits nobody until opensAt, then as the caps allow", () => {
    const input = { policy, activeCount: 0, waitingCount: 4, admissionTimesMs: [], opensAtMs: 1_000 }
    assert.strictEqual(admissionsAllowed({ ...input, nowMs: 999 }), 0)
    assert.strictEqual(admissionsAllowed({ ...input, nowMs: 1_000 }), 4)
  })
})

describe("drawOrder", () => {
  /** Every sequence of answers a source could give for `n` items: n·(n-1)·…·2 of them. */
  const allChoiceSequences = (n: number): Array<Array<number>> => {
    let sequences: Array<Array<number>> = [[]]
    for (let bound = n; bound >= 2; bound--) {
      sequences = sequences.flatMap((sequence) => Array.from({ length: bound }, (_, pick) => [...sequence, pick]))
    }
    return sequences
  }

  it("maps the n! equally likely answer sequences one-to-one onto the n! orders", () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const seen = new Map<string, number>()
      for (const choices of allChoiceSequences(n)) {
        let call = 0
        const order = drawOrder(
          Array.from({ length: n }, (_, i) => i),
          (bound) => {
            const pick = choices[call++]!
            assert.isBelow(pick, bound)
            return pick
          }
        )
        assert.strictEqual(call, Math.max(0, n - 1), "one random answer per place but the last")
        const key = order.join(",")
        seen.set(key, (seen.get(key) ?? 0) + 1)
      }
      const factorial = Array.from({ length: n }, (_, i) => i + 1).reduce((a, b) => a * b, 1)
      assert.strictEqual(seen.size, factorial, `every order of ${n} is reachable`)
      assert.isTrue(
        [...seen.values()].every((count) => count === 1),
        `no order of ${n} is reachable twice`
      )
    }
  })

  it("keeps every item exactly once, and leaves its input alone", () => {
    const pending = new Set(["a", "b", "c", "d"])
    const order = drawOrder(pending, (bound) => bound - 1)
    assert.deepStrictEqual([...order].sort(), ["a", "b", "c", "d"])
    assert.deepStrictEqual([...pending], ["a", "b", "c", "d"])
  })
})
