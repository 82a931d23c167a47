/**
 * HMAC-SHA256 and its SHA-256 (`internal/Sha256.ts`, `internal/hmac.ts`)
 * sign exactly as the published test vectors, Node's OpenSSL and Web Crypto
 * do, for every message length around the block boundaries, keys longer
 * than a block and text that is not ASCII, so instances on any runtime or
 * version accept each other's tokens.
 */
import { createHash, createHmac } from "node:crypto"
import { Redacted } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { hmacSha256, makeHmacKey } from "../src/internal/hmac.ts"
import { sha256 } from "../src/internal/Sha256.ts"

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")
const bytesOf = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff)

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

describe("SHA-256", () => {
  it("hashes FIPS 180-4's examples", () => {
    assert.strictEqual(hex(sha256(new TextEncoder().encode("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert.strictEqual(hex(sha256(new Uint8Array(0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert.strictEqual(
      hex(sha256(new TextEncoder().encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    )
  })

  it("hashes every length from 0 to 300 bytes as Node does", () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = bytesOf(length, length)
      assert.strictEqual(hex(sha256(bytes)), createHash("sha256").update(bytes).digest("hex"), `length ${length}`)
    }
  })
})

describe("HMAC-SHA256", () => {
  it("signs RFC 4231's text test cases", () => {
    const cases = [
      { key: new Uint8Array(20).fill(0x0b), data: "Hi There", mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
      { key: new TextEncoder().encode("Jefe"), data: "what do ya want for nothing?", mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
      {
        key: new Uint8Array(131).fill(0xaa),
        data: "Test Using Larger Than Block-Size Key - Hash Key First",
        mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
      },
      {
        key: new Uint8Array(131).fill(0xaa),
        data: "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
        mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
      }
    ]
    for (const { data, key, mac } of cases) assert.strictEqual(hex(hmacSha256(key)(data)), mac, data)
  })

  it("signs every message length from 0 to 300 as Node does, under keys shorter than, as long as and longer than a block", () => {
    for (const keyLength of [0, 1, 32, 63, 64, 65, 200]) {
      const key = bytesOf(keyLength, 7)
      const sign = hmacSha256(key)
      for (let length = 0; length <= 300; length++) {
        const message = "x".repeat(length)
        assert.strictEqual(hex(sign(message)), createHmac("sha256", key).update(message, "utf8").digest("hex"), `key ${keyLength}, message ${length}`)
      }
    }
  })

  it("signs long text of 1 to 4 UTF-8 bytes a character as Node does, lone surrogates (3 bytes a code unit) included", () => {
    const key = bytesOf(40, 3)
    const sign = hmacSha256(key)
    for (const unit of ["x", "é", "가", "😀", "\ud800", "a\udc00"]) {
      for (let count = 0; count <= 600; count += 7) {
        const message = unit.repeat(count)
        assert.strictEqual(hex(sign(message)), createHmac("sha256", key).update(message, "utf8").digest("hex"), `${count} × ${JSON.stringify(unit)}`)
      }
    }
  })

  it("signs any text as Node does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 600, size: "large" }), (key, message) => {
        assert.strictEqual(hex(hmacSha256(key)(message)), createHmac("sha256", key).update(message, "utf8").digest("hex"))
      }),
      { numRuns: 2_000 }
    )
  })

  it("signs as Web Crypto does, and verifies only its own purpose's exact signature", async () => {
    const key = makeHmacKey(secret, "boxoffice/access-token")
    assert.isTrue(key.verify("m", key.sign("m")))
    await fc.assert(fc.asyncProperty(fc.string(), fc.nat(255), async (message, bit) => {
      const web = await webSign("boxoffice/access-token", message)
      assert.deepStrictEqual(key.sign(message), web)
      assert.isTrue(key.verify(message, web))
      assert.isFalse(key.verify(message, await webSign("boxoffice/queue-token", message)))
      assert.isFalse(key.verify(message, web.slice(1)))
      const flipped = web.slice()
      flipped[bit >> 3]! ^= 1 << (bit & 7)
      assert.isFalse(key.verify(message, flipped))
    }), { numRuns: 200 })
  })
})
