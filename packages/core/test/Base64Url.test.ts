/**
 * The two base64url paths agree: Node's `Buffer` and Effect's `Base64Url`
 * encode alike and accept exactly the same texts, so a token has one
 * spelling on every runtime and instances accept each other's tokens.
 */
import { Base64Url as EffectBase64Url } from "effect/encoding"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { Base64Url, makeBase64UrlCodec, type NodeBuffer } from "../src/internal/base64url.ts"

const runs = Number(process.env["BOXOFFICE_PROPERTY_RUNS"] ?? 500)
const viaBuffer = makeBase64UrlCodec(Buffer as unknown as NodeBuffer)
const viaEffect = makeBase64UrlCodec(undefined)
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
// Mostly the alphabet, with padding, the other base64's characters and junk mixed in.
const nearlyBase64Url = fc.string({
  unit: fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...alphabet) }, { weight: 1, arbitrary: fc.constantFrom("=", "+", "/", " ", ".", "é", "\n") }),
  maxLength: 60
})

describe("Base64Url", () => {
  it("is Buffer's on Node", () => {
    assert.strictEqual(Base64Url.encode("qt1"), viaBuffer.encode("qt1"))
    assert.strictEqual(Base64Url.encode(new Uint8Array([255, 254])), "__4")
  })

  it("encodes bytes and strings as Effect's Base64Url does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.string({ unit: "binary", maxLength: 40 }), (bytes, text) => {
        assert.strictEqual(viaBuffer.encode(bytes), EffectBase64Url.encode(bytes))
        assert.strictEqual(viaBuffer.encode(bytes), viaEffect.encode(bytes))
        assert.strictEqual(viaBuffer.encode(text), viaEffect.encode(text))
      }),
      { numRuns: runs }
    )
  })

  it("decodes what it encoded, on both paths, and subarrays too", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(8), (bytes, offset) => {
        const view = bytes.subarray(Math.min(offset, bytes.length))
        const text = viaBuffer.encode(view)
        assert.deepStrictEqual(viaBuffer.decode(text), new Uint8Array(view))
        assert.deepStrictEqual(viaEffect.decode(text), new Uint8Array(view))
      }),
      { numRuns: runs }
    )
  })

  it("accepts exactly the same texts on both paths: only canonical base64url", () => {
    fc.assert(
      fc.property(nearlyBase64Url, (text) => {
        const buffer = viaBuffer.decode(text)
        const effect = viaEffect.decode(text)
        assert.deepStrictEqual(buffer === undefined ? undefined : [...buffer], effect === undefined ? undefined : [...effect])
        assert.strictEqual(viaBuffer.decodeString(text), viaEffect.decodeString(text))
        if (buffer !== undefined) assert.strictEqual(viaBuffer.encode(buffer), text)
      }),
      { numRuns: runs * 4 }
    )
  })

  it("refuses padding, the other alphabet, unused bits set, and text that is not UTF-8", () => {
    for (const codec of [viaBuffer, viaEffect]) {
      assert.deepStrictEqual(codec.decode("__4"), new Uint8Array([255, 254]))
      assert.strictEqual(codec.decode("__4="), undefined)
      assert.strictEqual(codec.decode("//4"), undefined)
      assert.strictEqual(codec.decode("__5"), undefined) // the same bytes with an unused bit set
      assert.strictEqual(codec.decodeString("__4"), undefined)
      assert.strictEqual(codec.decodeString(codec.encode("{\"a\":\"é\"}")), "{\"a\":\"é\"}")
    }
  })
})
