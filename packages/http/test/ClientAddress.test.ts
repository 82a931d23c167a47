/**
 * Who the rate limits count a request against: the socket's address unless a
 * trusted proxy forwarded it; `X-Forwarded-For` is ignored without trusted
 * proxies, whatever it says; an IPv6 client counts as its /64, and an
 * IPv4-mapped address as its IPv4 address.
 */
import { assert, describe, it } from "vitest"
import { clientAddressOf } from "../src/ClientAddress.ts"

describe("clientAddressOf", () => {
  it("ignores X-Forwarded-For without trusted proxies", () => {
    const of = clientAddressOf([])
    assert.strictEqual(of("198.51.100.2", "203.0.113.7"), "198.51.100.2")
    assert.strictEqual(of(undefined, "203.0.113.7"), "unknown")
  })

  it("believes a trusted proxy, and only the entries its proxies added", () => {
    const of = clientAddressOf(["10.0.0.0/8"])
    assert.strictEqual(of("10.0.0.5", "203.0.113.7, 10.0.0.9"), "203.0.113.7")
    // The client wrote the first entry itself; the nearest untrusted one is what the proxy saw.
    assert.strictEqual(of("10.0.0.5", "192.0.2.1, 203.0.113.7"), "203.0.113.7")
    assert.strictEqual(of("198.51.100.2", "203.0.113.7"), "198.51.100.2")
  })

  it("counts an IPv6 client by its /64 and an IPv4-mapped one by its IPv4 address", () => {
    const of = clientAddressOf([])
    assert.strictEqual(of("2001:db8:1:2::7", undefined), "2001:db8:1:2::/64")
    assert.strictEqual(of("2001:db8:1:2:ffff:1:2:3", undefined), "2001:db8:1:2::/64")
    assert.notStrictEqual(of("2001:db8:1:3::7", undefined), of("2001:db8:1:2::7", undefined))
    assert.strictEqual(of("::ffff:198.51.100.2", undefined), "198.51.100.2")
  })
})
