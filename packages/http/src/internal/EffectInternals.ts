/**
 * Where this package relies on how Effect behaves beyond what it documents,
 * so an upgrade is checked here and nowhere else.
 *
 * - `unreadableBody`: a body read that fails past `MaxBodySize`, or cut off,
 *   dies with an `HttpServerError` whose reason is a `RequestParseError`,
 *   and the size case names `maxBytes` or `BodyTooLarge` in its cause. The
 *   chunked-body case of `examples/server/test/hardening.test.ts` fails if
 *   this changes (it expects 413, and would get 400 or 500).
 * - `bearerCredential`: HttpApi's bearer decoder reads only the request's
 *   `authorization` header.
 *
 * @internal
 */
import { Effect, type Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApiBuilder, HttpApiSecurity } from "effect/http-api"

/** A body the platform could not read: past the size limit, or cut off. Not a defect of ours. */
export const unreadableBody = (error: unknown): "too-large" | "unreadable" | null => {
  const reason = error as {
    readonly _tag?: string
    readonly reason?: { readonly _tag?: string; readonly cause?: unknown }
  }
  if (reason?._tag !== "HttpServerError" || reason.reason?._tag !== "RequestParseError") return null
  return /maxBytes|BodyTooLarge/i.test(String(reason.reason.cause)) ? "too-large" : "unreadable"
}

/**
 * The credential of an `Authorization` header exactly as HttpApi's bearer
 * security reads it, for `QueueShortcut`, which answers without a request
 * object: HttpApi's own decoder, given a request that carries only that
 * header. It relies on the decoder reading nothing else of the request,
 * which `examples/server/test/queue-shortcut.test.ts` would show as answers
 * that differ.
 */
export const bearerCredential = (authorization: string | undefined): Effect.Effect<Redacted.Redacted<string>> =>
  Effect.provideService(decodeBearer, HttpServerRequest.HttpServerRequest, {
    headers: authorization === undefined ? {} : { authorization }
  } as unknown as HttpServerRequest.HttpServerRequest) as Effect.Effect<Redacted.Redacted<string>>

const decodeBearer = HttpApiBuilder.securityDecode(HttpApiSecurity.bearer)
