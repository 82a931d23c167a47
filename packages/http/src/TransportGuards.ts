/**
 * The guards every request passes before and after the API: a bounded JSON
 * body, problem+json for whatever an inner layer answered without one,
 * defects logged at ERROR and answered as `internal-error`, and the API's
 * documents (`/docs`, `/openapi.json`) compressed and cacheable.
 *
 * @since 0.2.0
 */
import { ByteSize, Cause, Effect, type Exit } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { documentAnswer, isDocumentRequest } from "./internal/DocumentAnswers.ts"
import { unreadableBody } from "./internal/EffectInternals.ts"
import { type TransportCode, transportCodeOf, transportProblem } from "./TransportProblems.ts"

/** The largest JSON body a request may carry: 64 KiB. @category constants */
export const maxBodyBytesDefault = 64 * 1024

/**
 * Logs a defect met while answering a request, at ERROR with its cause, as
 * the guards do before they answer `internal-error`; for a transport that
 * answers some routes ahead of the router.
 *
 * @example
 * ```ts
 * import { logDefect } from "@boxoffice/http"
 * import { Cause } from "effect"
 * const logged = logDefect("GET", "/queue/status", Cause.die(new Error("boom")))
 * ```
 * @category middleware
 */
export const logDefect = (method: string, url: string, cause: Cause.Cause<unknown>): Effect.Effect<void> =>
  Effect.logError(`defect in ${method} ${url.split("?")[0]}`, cause)

/** What a defect is answered with; nothing of its cause. */
const internalErrorDetail = "the server failed; the failure is logged"

/**
 * The JSON text of the `internal-error` problem the guards answer a defect
 * with (status 500, `application/problem+json`).
 *
 * @category constants
 */
export const internalErrorJson: string = JSON.stringify(transportProblem("internal-error", internalErrorDetail))

const internalError = () => transportProblemResponse("internal-error", internalErrorDetail)

/** A problem+json response for a transport code. @category constructors */
export const transportProblemResponse = (
  code: TransportCode,
  detail: string,
  headers: Record<string, string> = {}
): HttpServerResponse.HttpServerResponse => {
  const problem = transportProblem(code, detail)
  return HttpServerResponse.jsonUnsafe(problem, {
    status: problem.status,
    contentType: "application/problem+json",
    headers
  })
}

const isJson = (contentType: string | undefined): boolean => {
  if (contentType === undefined) return false
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase()
  return mediaType === "application/json" || (mediaType.startsWith("application/") && mediaType.endsWith("+json"))
}

const decoder = new TextDecoder()

/** What an inner layer said, for the detail of the problem that replaces its answer. */
const plainDetail = (response: HttpServerResponse.HttpServerResponse): string => {
  const body = response.body
  const text =
    body._tag === "Uint8Array"
      ? decoder.decode(body.body)
      : body._tag === "Raw" && typeof body.body === "string"
        ? body.body
        : ""
  return text.trim().slice(0, 200) || `the request was answered with ${response.status}`
}

/**
 * An inner layer (the router, the body decoder) can answer an error status
 * in plain text; the contract says every error is a problem.
 */
const asProblem = (response: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse => {
  if (response.status < 400) return response
  if ((response.headers["content-type"] ?? "").startsWith("application/problem+json")) return response
  const body = response.body
  if (body._tag === "Uint8Array" && body.contentType.startsWith("application/problem+json")) return response
  return transportProblemResponse(transportCodeOf(response.status), plainDetail(response))
}

/** Told of every answered request, with what the guards made of it: the access log's one hook. */
export type AnswerHook = (
  method: string,
  url: string,
  exit: Exit.Exit<{ readonly status: number }, unknown>
) => Effect.Effect<void>

/** A path the router could not take apart (a malformed percent-encoding), which no route can match. */
const isRouteNotFound = (cause: Cause.Cause<unknown>) =>
  cause.reasons.some(
    (reason) =>
      reason._tag === "Fail" &&
      (reason.error as { readonly _tag?: string; readonly reason?: { readonly _tag?: string } })?.reason?._tag ===
        "RouteNotFound"
  )

const decodablePath = (url: string) => {
  try {
    decodeURIComponent(url.split("?")[0]!)
    return true
  } catch {
    return false
  }
}

/**
 * The guards as global router middleware, outermost, so that they see
 * whatever the routes and the other middlewares made of a request.
 *
 * - A declared body over `maxBodyBytes` is refused with 413 before it is
 *   read, and the connection is closed; a streamed body stops being read at
 *   the limit. Either is logged at WARN, without a stack.
 * - A body that is not JSON is refused with 415.
 * - A path the router cannot take apart is 400 (a malformed
 *   percent-encoding) or 404, logged at WARN without a stack.
 * - A defect is logged at ERROR with its cause, and answered 500
 *   `internal-error` with nothing of the cause in the body.
 * - `GET /docs` and `GET /openapi.json` go out with Brotli or gzip when the
 *   client accepts it, a strong `ETag` and `Cache-Control: no-cache`, and as
 *   `304` with no body when `If-None-Match` names the tag.
 * - `onAnswer`, when given, is told of every answer (the access log).
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { TransportGuards } from "@boxoffice/http"
 * const guards = TransportGuards.layer({ maxBodyBytes: 64 * 1024 })
 * ```
 * @category middleware
 */
export const TransportGuards = {
  layer: (options: { readonly maxBodyBytes?: number; readonly onAnswer?: AnswerHook } = {}) => {
    const maxBodyBytes = options.maxBodyBytes ?? maxBodyBytesDefault
    const limit = ByteSize.bytes(maxBodyBytes)
    const tooLarge = () =>
      transportProblemResponse("payload-too-large", `a request body is at most ${maxBodyBytes} bytes`, {
        connection: "close"
      })
    const unreadable = () => transportProblemResponse("invalid-request", "the request body could not be read")
    return HttpRouter.middleware(
      (httpEffect) => {
        // Built once: each request only runs the checks and then this.
        const guarded = httpEffect.pipe(
          Effect.provideService(HttpIncomingMessage.MaxBodySize, limit),
          Effect.map(asProblem),
          Effect.catchCause((cause) => {
            if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
            return Effect.flatMap(
              HttpServerRequest.HttpServerRequest.useSync((request) => request),
              (request) => {
                const where = { "http.method": request.method, "http.url": request.url.split("?")[0]! }
                if (isRouteNotFound(cause)) {
                  const malformed = !decodablePath(request.url)
                  const answer = malformed
                    ? transportProblemResponse("invalid-request", "the path is not valid percent-encoding")
                    : transportProblemResponse("not-found", `no route ${request.method} ${where["http.url"]}`)
                  return Effect.as(Effect.annotateLogs(Effect.logWarning("no route for the path"), where), answer)
                }
                if (!Cause.hasDies(cause)) return Effect.failCause(cause)
                const bodyFailure = unreadableBody(Cause.squash(cause))
                if (bodyFailure !== null) {
                  const answer = bodyFailure === "too-large" ? tooLarge() : unreadable()
                  return Effect.as(
                    Effect.annotateLogs(Effect.logWarning(`request body refused: ${bodyFailure}`), where),
                    answer
                  )
                }
                return Effect.as(logDefect(request.method, request.url, cause), internalError())
              }
            )
          })
        )
        const checked = Effect.flatMap(
          HttpServerRequest.HttpServerRequest.useSync((request) => request),
          (request) => {
            const declared = request.headers["content-length"]
            const chunked = request.headers["transfer-encoding"] !== undefined
            if (declared !== undefined && Number(declared) > maxBodyBytes) {
              return Effect.as(
                Effect.annotateLogs(Effect.logWarning("request body refused: too-large"), {
                  "http.method": request.method,
                  "http.url": request.url.split("?")[0]!
                }),
                tooLarge()
              )
            }
            const hasBody = chunked || (declared !== undefined && Number(declared) > 0)
            if (hasBody && !isJson(request.headers["content-type"])) {
              return Effect.succeed(
                transportProblemResponse(
                  "unsupported-media-type",
                  `a request body must be application/json, not ${request.headers["content-type"] ?? "untyped"}`
                )
              )
            }
            // The API's documents go out compressed and tagged (internal/DocumentAnswers.ts).
            return isDocumentRequest(request.method, request.url)
              ? Effect.flatMap(guarded, (response) => documentAnswer(request.headers, response))
              : guarded
          }
        )
        const onAnswer = options.onAnswer
        if (onAnswer === undefined) return checked
        return Effect.onExit(checked, (exit) =>
          Effect.flatMap(
            HttpServerRequest.HttpServerRequest.useSync((request) => request),
            (request) => onAnswer(request.method, request.url, exit)
          )
        )
      },
      { global: true }
    )
  }
}
