/**
 * Who a request comes from, for the limits kept per client address: the
 * socket's address, unless it is one of the proxies the operator trusts, in
 * which case the nearest untrusted address of `X-Forwarded-For` (whose
 * entries a client can write at will, except those its trusted proxies
 * added). The parsing and the address ranges are `proxy-addr`'s, Express's.
 * An IPv6 client is counted by its /64, the block one subscriber is given:
 * within it an attacker can pick a new address for every request.
 *
 * @since 0.2.0
 */
import ipaddr from "ipaddr.js"
import proxyAddr from "proxy-addr"

/** IPv6 addresses as their /64 (an IPv4-mapped one as its IPv4 address); anything else as it is. */
const counted = (address: string): string => {
  if (!ipaddr.isValid(address)) return address
  const parsed = ipaddr.parse(address)
  if (parsed.kind() === "ipv4") return parsed.toString()
  const v6 = parsed as ipaddr.IPv6
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString()
  return `${v6.parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(":")}::/64`
}

/** The client address of a request, from its socket's address and its `X-Forwarded-For` header. @category models */
export type ClientAddressOf = (socketAddress: string | undefined, forwardedFor: string | undefined) => string

/**
 * The resolver for a list of trusted proxies: addresses, CIDR ranges, or
 * `proxy-addr`'s names (`loopback`, `linklocal`, `uniquelocal`). With none, the
 * socket's address is the client's and `X-Forwarded-For` is ignored.
 *
 * @example
 * ```ts
 * import { clientAddressOf } from "@boxoffice/http"
 * const of = clientAddressOf(["10.0.0.0/8"])
 * of("10.0.0.5", "203.0.113.7, 10.0.0.9") // "203.0.113.7"
 * of("198.51.100.2", "203.0.113.7") // "198.51.100.2": not a trusted proxy
 * of("2001:db8:1:2::7", undefined) // "2001:db8:1:2::/64"
 * ```
 * @category constructors
 */
export const clientAddressOf = (trustedProxies: ReadonlyArray<string>): ClientAddressOf => {
  if (trustedProxies.length === 0) return (socketAddress) => counted(socketAddress ?? "unknown")
  const trust = proxyAddr.compile([...trustedProxies])
  return (socketAddress, forwardedFor) =>
    counted(
      proxyAddr(
        {
          socket: { remoteAddress: socketAddress },
          headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor }
        } as unknown as Parameters<typeof proxyAddr>[0],
        trust
      ) ?? "unknown"
    )
}
