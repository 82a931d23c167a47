/**
 * The two calls a sale's crowd makes, `GET /queue/status` (polling) and
 * `POST /concerts/{concertId}/queue` (joining), answered in Node's own request
 * event, before Effect's HTTP server sees the request. Effect's per-request
 * work (a request object, the router, the middleware chain, the response
 * conversion) cost about as much as a poll itself.
 *
 * The answers are `QueueStatusAnswer`'s and `QueueJoinAnswer`'s, the functions
 * the router's routes call too, so both paths answer alike; a test sends each
 * request both ways and compares status, headers and body. What the router's
 * middlewares do for these requests is done here by the same functions: the
 * request metrics' series, the `errors` access log, and a defect logged and
 * answered `internal-error`. The lane takes only bodiless requests of exactly
 * these paths, with a concert id of UUID characters (so that no path needs
 * decoding); anything else, and every request while tracing or the full
 * access log is on, goes through Effect's server as before. Its answers are
 * written together at the end of each turn of the event loop (`AnswerBatch`).
 * On shutdown it stops taking requests and waits for those in flight, before
 * the stores close.
 */
import {
  internalErrorJson,
  logDefect,
  type PlainAnswer,
  QueueJoinAnswer,
  QueueStatusAnswer,
  RequestMetrics
} from "@boxoffice/http"
import { Cause, type Context, Duration, Effect, Exit, Fiber, Layer } from "effect"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { makeAnswerBatch } from "./AnswerBatch.ts"
import { logServerError } from "./AccessLog.ts"
import { answerFirst } from "./NodeServer.ts"

const internalError: PlainAnswer = { status: 500, contentType: "application/problem+json", body: internalErrorJson }

/** A request without a body: the transport guards have nothing to check on it. */
const bodiless = (request: IncomingMessage) =>
  request.headers["transfer-encoding"] === undefined &&
  (request.headers["content-length"] === undefined || request.headers["content-length"] === "0")

/** `/concerts/{concertId}/queue` with an id of UUID characters: its concert id, else undefined. */
const joinPath = /^\/concerts\/([0-9A-Fa-f-]{1,64})\/queue$/

/** One route of the lane: its method, its template and its request metrics series. */
interface LaneRoute {
  readonly method: "GET" | "POST"
  readonly template: string
  readonly record: ((status: number, durationMs: number, context: Context.Context<never>) => void) | undefined
}

/**
 * The lane on `server`, over the engine's `Booking` and `Identity`.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { createServer } from "node:http"
 * const server = createServer()
 * const lane = nodeLaneLayer(server, { requestMetrics: true, logServerErrors: true, drainTimeout: Duration.seconds(10) })
 * ```
 */
export const nodeLaneLayer = (
  server: Server,
  options: {
    readonly requestMetrics: boolean
    /** The `errors` access log's lines for 5xx answers (off where the server logs no requests at all). */
    readonly logServerErrors: boolean
    readonly drainTimeout: Duration.Duration
  }
) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const answerStatus = yield* QueueStatusAnswer.make
    const answerJoin = yield* QueueJoinAnswer.make
    // The server's own services: its logger, metric registry and log level.
    const context = yield* Effect.context<never>()
    const laneRoute = (method: "GET" | "POST", template: string): LaneRoute => ({
      method,
      template,
      record: options.requestMetrics ? RequestMetrics.recorder(method, template) : undefined
    })
    const status = laneRoute("GET", "/queue/status")
    const join = laneRoute("POST", "/concerts/:concertId/queue")
    const inFlight = new Set<Fiber.Fiber<PlainAnswer>>()
    const batch = makeAnswerBatch()

    /**
     * Runs an answer and writes it, then does what the router's middlewares do after: records the
     * request's series and, on the rare paths, logs as the guards (a defect, with its cause) and the
     * `errors` access log (an answer of 500 and above) do. The answer runs alone on its fiber.
     */
    const serve = (route: LaneRoute, url: string, answer: Effect.Effect<PlainAnswer>, response: ServerResponse) => {
      const startedMs = performance.now()
      const fiber = Effect.runForkWith(context)(answer)
      const done = (exit: Exit.Exit<PlainAnswer>) => {
        const answered = Exit.isSuccess(exit) ? exit.value : internalError
        batch.write(response, answered)
        route.record?.(answered.status, performance.now() - startedMs, context)
        const defect = Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)
        const logged = options.logServerErrors && answered.status >= 500
        if (defect || logged) {
          Effect.runForkWith(context)(Effect.andThen(
            defect ? logDefect(route.method, url, exit.cause) : Effect.void,
            logged ? logServerError(route.method, url, Exit.succeed(answered)) : Effect.void
          ))
        }
      }
      const exit = fiber.pollUnsafe()
      if (exit !== undefined) return done(exit)
      inFlight.add(fiber)
      fiber.addObserver((exit) => {
        inFlight.delete(fiber)
        done(exit)
      })
    }

    const lane = (request: IncomingMessage, response: ServerResponse): boolean => {
      if (!bodiless(request)) return false
      const url = request.url ?? ""
      if (request.method === "GET" && url === "/queue/status") {
        serve(status, url, answerStatus(request.headers.authorization, request.headers["queue-token"] as string | undefined), response)
        return true
      }
      const concertId = request.method === "POST" ? joinPath.exec(url)?.[1] : undefined
      if (concertId === undefined) return false
      serve(join, url, answerJoin(request.headers.authorization, concertId), response)
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
