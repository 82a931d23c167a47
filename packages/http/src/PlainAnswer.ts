/**
 * A whole answer as plain values, for the hot routes that a server may
 * answer outside Effect's HTTP server (`QueueStatusAnswer`, `QueueJoinAnswer`),
 * and the bearer credential as HttpApi reads it.
 *
 * @since 0.3.0
 */

/** A whole answer, as a transport writes it. @category models */
export interface PlainAnswer {
  readonly status: number
  readonly contentType: "application/json" | "application/problem+json"
  readonly body: string
}

/**
 * The credential of an `Authorization: Bearer …` header, exactly as
 * HttpApi's bearer security reads it (RFC 9110: the scheme in any case,
 * then one or more spaces); "" when there is none.
 *
 * @example
 * ```ts
 * import { bearerCredential } from "@boxoffice/http"
 * bearerCredential("bearer  at1.abc") // "at1.abc"
 * ```
 * @category parsing
 */
export const bearerCredential = (authorization: string | undefined): string => {
  if (authorization === undefined || authorization.length <= 6 || authorization.charCodeAt(6) !== 32) return ""
  if (authorization.slice(0, 6).toLowerCase() !== "bearer") return ""
  let start = 7
  while (authorization.charCodeAt(start) === 32) start++
  return authorization.slice(start)
}
