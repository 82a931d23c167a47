/**
 * Problems of the transport rather than of a use case: the answers every
 * layer below the API gives (no route, wrong method, a body too large or of
 * the wrong type, headers too large, too many streams, a rate limit, a defect,
 * a server still starting), each as RFC 9457 problem+json with a stable `code`.
 *
 * @since 0.2.0
 */

/** The transport codes and their statuses. @category problems */
export const transportCodes = {
  "invalid-request": 400,
  "not-found": 404,
  "method-not-allowed": 405,
  "payload-too-large": 413,
  "unsupported-media-type": 415,
  "too-many-streams": 429,
  "rate-limited": 429,
  "request-header-fields-too-large": 431,
  "internal-error": 500,
  unavailable: 503
} as const

/** @category problems */
export type TransportCode = keyof typeof transportCodes

const titles: Record<TransportCode, string> = {
  "invalid-request": "Invalid request",
  "not-found": "Not found",
  "method-not-allowed": "Method not allowed",
  "payload-too-large": "Payload too large",
  "unsupported-media-type": "Unsupported media type",
  "too-many-streams": "Too many streams",
  "rate-limited": "Rate limited",
  "request-header-fields-too-large": "Request header fields too large",
  "internal-error": "Internal error",
  unavailable: "Service unavailable"
}

/** The problem body of a transport code. @category problems */
export const transportProblem = (code: TransportCode, detail: string) => ({
  type: `urn:boxoffice:problem:${code}`,
  title: titles[code],
  status: transportCodes[code],
  code,
  detail
})

/** The transport code of a status that an inner layer answered without a problem body. @category problems */
export const transportCodeOf = (status: number): TransportCode => {
  for (const [code, codeStatus] of Object.entries(transportCodes)) {
    if (codeStatus === status) return code as TransportCode
  }
  return status >= 500 ? "internal-error" : "invalid-request"
}

/**
 * A complete problem response as raw HTTP/1.1 bytes, for a socket that never
 * became a request (headers too large, a malformed request line).
 *
 * @example
 * ```ts
 * import { rawProblemResponse } from "@boxoffice/http"
 * rawProblemResponse("request-header-fields-too-large", "the request headers exceed 16 KiB")
 * ```
 * @category problems
 */
export const rawProblemResponse = (code: TransportCode, detail: string): string => {
  const body = JSON.stringify(transportProblem(code, detail))
  return (
    `HTTP/1.1 ${transportCodes[code]} ${titles[code]}\r\n` +
    `content-type: application/problem+json\r\ncontent-length: ${new TextEncoder().encode(body).length}\r\nconnection: close\r\n\r\n${body}`
  )
}
