/**
 * The copy's entry table against a Map: after any sequence of adds and removals (UUID tokens, and the odd
 * token that is not one), every token finds its own slot with its own fields, removed ones find none, and the
 * table grows past its first size. Few distinct index buckets (a small table, many removals) exercise the
 * moving back of probed entries on removal.
 */
import fc from "fast-check"
import { assert, describe, it } from "vitest"
import { CopiedEntries, type CopiedState } from "../src/internal/CopiedEntries.ts"

interface Model {
  readonly sequence: number
  readonly state: CopiedState
  readonly seenAtMs: number
}

const token = fc.oneof(
  { weight: 9, arbitrary: fc.uuid({ version: [4, 7] }) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) }
)
const step = fc.oneof(
  fc.record({
    kind: fc.constant("add" as const),
    token,
    sequence: fc.integer({ min: 1, max: 2 ** 40 }),
    state: fc.constantFrom<CopiedState>("p", "w", "a"),
    // Until 2096: the table keeps whole seconds in 32 bits.
    seenAtMs: fc.integer({ min: 0, max: 4_000_000_000_000 })
  }),
  fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() })
)

describe("the copy's entry table", () => {
  it("finds each token's own fields after any adds and removals, as a Map would", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const entries = new CopiedEntries()
        const model = new Map<string, Model>()
        for (const s of steps) {
          if (s.kind === "add") {
            const held = entries.slotOf(s.token)
            assert.strictEqual(held >= 0, model.has(s.token))
            if (held >= 0) entries.remove(held)
            entries.add(s.token, s.sequence, s.state, s.seenAtMs)
            model.set(s.token, s)
          } else if (model.size > 0) {
            const victim = [...model.keys()][s.pick % model.size]!
            entries.remove(entries.slotOf(victim))
            model.delete(victim)
          }
        }
        assert.strictEqual(entries.size, model.size)
        const slots = new Set<number>()
        for (const [t, m] of model) {
          const slot = entries.slotOf(t)
          assert.isAtLeast(slot, 0, t)
          slots.add(slot)
          assert.deepStrictEqual([entries.token(slot), entries.sequence(slot)], [t, m.sequence])
          assert.strictEqual(entries.state(slot), m.state)
          assert.strictEqual(entries.seenAtMs(slot), Math.floor(m.seenAtMs / 1000) * 1000)
        }
        assert.strictEqual(slots.size, model.size)
        assert.deepStrictEqual(new Set(entries.slots()), slots)
      }),
      { numRuns: Number(process.env["BOXOFFICE_PROPERTY_RUNS"] ?? 200) }
    )
  })

  it("holds 100,000 entries in typed arrays, about 37 bytes each with the index", () => {
    const entries = new CopiedEntries()
    const tokens = Array.from({ length: 100_000 }, () => crypto.randomUUID())
    for (const [i, t] of tokens.entries()) entries.add(t, i + 1, "w", 2_000)
    for (let i = 0; i < tokens.length; i += 2) entries.remove(entries.slotOf(tokens[i]!))
    assert.strictEqual(entries.size, 50_000)
    for (let i = 0; i < tokens.length; i++) assert.strictEqual(entries.slotOf(tokens[i]!) >= 0, i % 2 === 1)
    // Grown by doubling to 131,072 slots: 29 bytes a slot and a 4-byte index entry for each of 262,144 buckets.
    assert.strictEqual(entries.retainedBytes, 131_072 * 29 + 262_144 * 4)
  })
})
