/**
 * The verified-token cache stays within its bound, forgets the oldest
 * first, never drops a token for remembering it twice, and answers only
 * the exact text it remembered, though its index keys on a token's end.
 */
import { assert, describe, it } from "vitest"
import { makeVerifiedTokens } from "../src/VerifiedTokens.ts"

describe("VerifiedTokens", () => {
  it("keeps the newest `capacity` tokens, oldest out first", () => {
    const cache = makeVerifiedTokens<number>(3)
    for (const [i, token] of ["a", "b", "c", "b", "d", "e"].entries()) cache.remember(token, i)
    assert.deepStrictEqual(
      ["a", "b", "c", "d", "e"].map((t) => cache.get(t)),
      [undefined, undefined, 2, 4, 5]
    )
  })

  it("holds a million rememberings within its bound", () => {
    const cache = makeVerifiedTokens<number>(1_000)
    for (let i = 0; i < 1_000_000; i++) cache.remember(`t${i}`, i)
    assert.strictEqual(cache.get("t998999"), undefined)
    assert.strictEqual(cache.get("t999000"), 999_000)
    assert.strictEqual(cache.get("t999999"), 999_999)
  })

  it("answers only the exact token, whatever its end shares", () => {
    const cache = makeVerifiedTokens<string>(10)
    const signature = "0123456789abcdefghijABCDEFGHIJ"
    cache.remember(`qt1.alice.${signature}`, "alice")
    // Same last characters, other claims: a forgery that kept the signature.
    assert.strictEqual(cache.get(`qt1.mallory.${signature}`), undefined)
    assert.strictEqual(cache.get(`qt1.alice.${signature}x`), undefined)
    assert.strictEqual(cache.get(`qt1.alice.${signature}`.slice(1)), undefined)
    // A second token ending alike is not remembered over the first, nor answered.
    cache.remember(`qt1.bob.${signature}`, "bob")
    assert.strictEqual(cache.get(`qt1.bob.${signature}`), undefined)
    assert.strictEqual(cache.get(`qt1.alice.${signature}`), "alice")
    // A copy of the exact text (a new string, as every request's header is) is answered.
    assert.strictEqual(cache.get(Buffer.from(`qt1.alice.${signature}`).toString()), "alice")
  })
})
