/**
 * The verified-token cache stays within its bound, forgets the oldest
 * first, and never drops a token for remembering it twice.
 */
import { assert, describe, it } from "vitest"
import { makeVerifiedTokens } from "../src/internal/VerifiedTokens.ts"

describe("VerifiedTokens", () => {
  it("keeps the newest `capacity` tokens, oldest out first", () => {
    const cache = makeVerifiedTokens<number>(3)
    for (const [i, token] of ["a", "b", "c", "b", "d", "e"].entries()) cache.remember(token, i)
    assert.deepStrictEqual(["a", "b", "c", "d", "e"].map((t) => cache.get(t)), [undefined, undefined, 2, 4, 5])
  })

  it("holds a million rememberings within its bound", () => {
    const cache = makeVerifiedTokens<number>(1_000)
    for (let i = 0; i < 1_000_000; i++) cache.remember(`t${i}`, i)
    assert.strictEqual(cache.get("t998999"), undefined)
    assert.strictEqual(cache.get("t999000"), 999_000)
    assert.strictEqual(cache.get("t999999"), 999_999)
  })
})
