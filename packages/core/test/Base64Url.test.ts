/**
 * Tokens' base64url has one spelling: it encodes as Node's `Buffer` does
 * (so tokens of earlier versions, which encoded with it, still read) and
 * accepts only the canonical text, refusing padding, the other alphabet and
 * unused bits.
 */
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { Base64Url } from "../src/internal/base64url.ts"

const runs = Number(process.env["BOXOFFICE_PROPERTY_RUNS"] ?? 500)
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
// Mostly the alphabet, with padding, the other base64's characters and junk mixed in.
const nearlyBase64Url = fc.string({
  unit: fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(...alphabet) },
    { weight: 1, arbitrary: fc.constantFrom("=", "+", "/", " ", ".", "é", "\n") }
  ),
  maxLength: 60
})

describe("Base64Url", () => {
  it("encodes bytes and strings as Buffer does, and decodes what it encoded", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.string({ unit: "binary", maxLength: 40 }), (bytes, text) => {
        assert.strictEqual(Base64Url.encode(bytes), Buffer.from(bytes).toString("base64url"))
        assert.strictEqual(Base64Url.encode(text), Buffer.from(text, "utf8").toString("base64url"))
        assert.deepStrictEqual(Base64Url.decode(Base64Url.encode(bytes)), bytes)
      }),
      { numRuns: runs }
    )
  })

  it("accepts only canonical base64url", () => {
    fc.assert(
      fc.property(nearlyBase64Url, (text) => {
        const bytes = Base64Url.decode(text)
        const canonical = /^[A-Za-z0-9_-]*$/.test(text) && Buffer.from(text, "base64url").toString("base64url") === text
        assert.strictEqual(bytes !== undefined, canonical, text)
        if (bytes !== undefined) assert.strictEqual(Base64Url.encode(bytes), text)
      }),
      { numRuns: runs * 4 }
    )
  })

  it("refuses padding, the other alphabet, unused bits set, and text that is not UTF-8", () => {
    assert.deepStrictEqual(Base64Url.decode("__4"), new Uint8Array([255, 254]))
    assert.strictEqual(Base64Url.decode("__4="), undefined)
    assert.strictEqual(Base64Url.decode("//4"), undefined)
    assert.strictEqual(Base64Url.decode("__5"), undefined) // the same bytes with an unused bit set
    assert.strictEqual(Base64Url.decodeString("__4"), undefined)
    assert.strictEqual(Base64Url.decodeString(Base64Url.encode('{"a":"é"}')), '{"a":"é"}')
  })
})
