/**
 * The token keys sign exactly as HMAC-SHA256 over `purpose \0 secret` always
 * has (Node's OpenSSL here, Web Crypto in browsers), so tokens issued by an
 * earlier version or another runtime still verify, and a key verifies only
 * its own purpose's exact signature.
 */
import { createHmac } from "node:crypto"
import { Redacted } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { makeHmacKey } from "../src/internal/hmac.ts"

const secret = Redacted.make("a secret of at least thirty-two bytes, for tests")
const nodeSign = (purpose: string, message: string) =>
  new Uint8Array(
    createHmac("sha256", `${purpose}\u0000${Redacted.value(secret)}`)
      .update(message, "utf8")
      .digest()
  )
const webSign = async (purpose: string, message: string) => {
  const key = await globalThis.crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(`${purpose}\u0000${Redacted.value(secret)}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"]
  )
  return new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)))
}

describe("token keys (HMAC-SHA256)", () => {
  it("sign any text, of every length around the block size, as Node does", () => {
    const key = makeHmacKey(secret, "boxoffice/queue-token")
    for (let length = 0; length <= 200; length++) {
      const message = "x".repeat(length)
      assert.deepStrictEqual(key.sign(message), nodeSign("boxoffice/queue-token", message), `length ${length}`)
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 600 }), (message) => {
        assert.deepStrictEqual(key.sign(message), nodeSign("boxoffice/queue-token", message))
      }),
      { numRuns: 1_000 }
    )
  })

  it("sign as Web Crypto does, and verify only their own purpose's exact signature", async () => {
    const key = makeHmacKey(secret, "boxoffice/access-token")
    assert.isTrue(key.verify("m", key.sign("m")))
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.nat(255), async (message, bit) => {
        const web = await webSign("boxoffice/access-token", message)
        assert.deepStrictEqual(key.sign(message), web)
        assert.isTrue(key.verify(message, web))
        assert.isFalse(key.verify(message, await webSign("boxoffice/queue-token", message)))
        assert.isFalse(key.verify(message, web.slice(1)))
        const flipped = web.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        assert.isFalse(key.verify(message, flipped))
      }),
      { numRuns: 200 }
    )
  })
})
