/**
 * The two HMAC paths agree: a token signed by Node's synchronous HMAC
 * verifies under Web Crypto and the other way round, so instances on
 * different runtimes (or versions) accept each other's tokens.
 */
import { Effect, Redacted } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { makeHmacKey } from "../src/internal/hmac.ts"

const secret = Redacted.make("a secret of at least thirty-two bytes, for tests")
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

describe("HMAC", () => {
  it("uses Node's synchronous HMAC here, and it signs exactly as Web Crypto does", async () => {
    const key = await Effect.runPromise(makeHmacKey(secret, "boxoffice/access-token"))
    // Synchronous: the signature is there without awaiting a job.
    assert.isTrue(Effect.runSync(key.verify("m", Effect.runSync(key.sign("m")))))
    await fc.assert(fc.asyncProperty(fc.string(), async (message) => {
      const web = await webSign("boxoffice/access-token", message)
      assert.deepStrictEqual(Effect.runSync(key.sign(message)), web)
      assert.isTrue(Effect.runSync(key.verify(message, web)))
      assert.isFalse(Effect.runSync(key.verify(message, await webSign("boxoffice/queue-token", message))))
      assert.isFalse(Effect.runSync(key.verify(message, web.slice(1))))
    }), { numRuns: 200 })
  })
})
