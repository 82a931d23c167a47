/**
 * `GET /queue/status` answered in Node's own request event, before Effect's
 * HTTP server sees the request. Polling is most of a sale's traffic, and
 * Effect's per-request work (a request object, the router, the middleware
 * chain, the response conversion) cost about as much as the poll itself.
 *
 * The answer is `QueueStatusAnswer`'s, the function the router's route calls
 * too, so both paths answer alike; a test sends each request both ways and
 * compares status, headers and body. What the router's middlewares do for a
 * poll is done here by the same functions: the request metrics' series,
 * the `errors` access log, and a defect logged and answered `internal-error`.
 * The lane takes only a bodiless GET of exactly `/queue/status`; anything
 * else, and every request while tracing or the full access log is on, goes
 * through Effect's server as before. On shutdown it stops taking requests
 * and waits for those in flight, before the stores close.
 */
import { internalErrorJson, logDefect, type PlainAnswer, QueueStatusAnswer, RequestMetrics } from "@boxoffice/http"
import { Duration, Effect, Exit, Fiber, Layer } from "effect"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { logServerError } from "./AccessLog.ts"
import { answerFirst } from "./NodeServer.ts"

const path = "/queue/status"

const internalError: PlainAnswer = { status: 500, contentType: "application/problem+json", body: internalErrorJson }

/** A request without a body: the transport guards have nothing to check on it. */
const bodiless = (request: IncomingMessage) =>
  request.headers["transfer-encoding"] === undefined &&
  (request.headers["content-length"] === undefined || request.headers["content-length"] === "0")

const write = (response: ServerResponse, answer: PlainAnswer) => {
  if (response.destroyed) return
  response.writeHead(answer.status, {
    "content-type": answer.contentType,
    "content-length": Buffer.byteLength(answer.body)
  })
  response.end(answer.body)
}

/**
 * The lane on `server`, over the engine's `Booking` and `Identity`.
 *
 * @example
 * ```ts
 * const lane = statusLaneLayer(server, { requestMetrics: true, drainTimeout: Duration.seconds(10) })
 * ```
 */
export const statusLaneLayer = (
  server: Server,
  options: { readonly requestMetrics: boolean; readonly drainTimeout: Duration.Duration }
) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const answerStatus = yield* QueueStatusAnswer.make
    // The server's own services: its logger, metric registry and log level.
    const context = yield* Effect.context<never>()
    const record = options.requestMetrics ? RequestMetrics.recorder("GET", path) : undefined
    const inFlight = new Set<Fiber.Fiber<PlainAnswer>>()

    const answer = (request: IncomingMessage) =>
      answerStatus(request.headers.authorization, request.headers["queue-token"] as string | undefined).pipe(
        Effect.catchCause((cause) => Effect.as(logDefect("GET", path, cause), internalError)),
        Effect.tap((answer) => logServerError("GET", path, Exit.succeed(answer)))
      )

    const lane = (request: IncomingMessage, response: ServerResponse): boolean => {
      if (request.method !== "GET" || request.url !== path || !bodiless(request)) return false
      const startedMs = performance.now()
      const fiber = Effect.runForkWith(context)(answer(request))
      const done = (exit: Exit.Exit<PlainAnswer>) => {
        const answered = Exit.isSuccess(exit) ? exit.value : internalError
        write(response, answered)
        record?.(answered.status, performance.now() - startedMs, context)
      }
      const exit = fiber.pollUnsafe()
      if (exit !== undefined) {
        done(exit)
      } else {
        inFlight.add(fiber)
        fiber.addObserver((exit) => {
          inFlight.delete(fiber)
          done(exit)
        })
      }
      return true
    }

    const stopTaking = answerFirst(server, lane)
    yield* Effect.addFinalizer(() =>
      Effect.andThen(
        Effect.sync(stopTaking),
        Effect.ignore(Effect.timeout(Fiber.awaitAll([...inFlight]), options.drainTimeout))
      )
    )
  }))
