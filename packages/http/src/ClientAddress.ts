/**
 * Who a request comes from, for the limits kept per client address: the
 * socket's address, unless it is one of the proxies the operator trusts, in
 * which case the nearest untrusted address of `X-Forwarded-For` (whose
 * entries a client can write at will, except those its trusted proxies
 * added). The parsing and the address ranges are `proxy-addr`'s, Express's.
 *
 * @since 0.2.0
 */
import proxyAddr from "proxy-addr"

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
 * ```
 * @category constructors
 */
export const clientAddressOf = (trustedProxies: ReadonlyArray<string>): ClientAddressOf => {
  if (trustedProxies.length === 0) return (socketAddress) => socketAddress ?? "unknown"
  const trust = proxyAddr.compile([...trustedProxies])
  return (socketAddress, forwardedFor) =>
    proxyAddr(
      {
        socket: { remoteAddress: socketAddress },
        headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor }
      } as unknown as Parameters<typeof proxyAddr>[0],
      trust
    ) ?? "unknown"
}
