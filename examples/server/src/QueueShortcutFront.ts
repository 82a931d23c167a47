/**
 * The queue shortcut at the server's front door: bodiless requests of exactly
 * `GET /queue/status` and `POST /concerts/{concertId}/queue` are answered by
 * `QueueShortcut` in Node's request event, before Effect's HTTP server makes a
 * request object, a fiber, a route lookup and a middleware chain for them.
 * Anything else, a query string included, goes to the app.
 *
 * It takes its requests whatever the configuration, and does for them what
 * the router's middlewares do for the rest, with the same functions: the
 * request metrics' series (`RequestMetrics.recorder`), the access log
 * (`logAnswer`), a server span when tracing is on, and a defect logged
 * (`logDefect`) and answered `internal-error`. Its answers are written
 * together at the end of each turn of the event loop (`AnswerBatch.ts`). On
 * shutdown it stops taking requests and waits for those in flight before the
 * stores close.
 */
import {
  internalErrorJson,
  logDefect,
  type PlainAnswer,
  QueueShortcut,
  RateLimitGate,
  RequestMetrics,
  rateLimitedAnswer
} from "@boxoffice/http"
import { Cause, type Context, type Duration, Effect, Exit, Fiber, Layer, Metric, Option, References } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import { type AccessLogMode, logAnswer } from "./AccessLog.ts"
import { makeAnswerBatch } from "./AnswerBatch.ts"
import { FrontDoor } from "./NodeServer.ts"

const internalError: PlainAnswer = { status: 500, contentType: "application/problem+json", body: internalErrorJson }

/** A request without a body: the transport guards would have nothing to check on it. */
const bodiless = (request: IncomingMessage) =>
  request.headers["transfer-encoding"] === undefined &&
  (request.headers["content-length"] === undefined || request.headers["content-length"] === "0")

/** `/concerts/{concertId}/queue` with an id of UUID characters (no path to decode): its concert id. */
const joinPath = /^\/concerts\/([0-9A-Fa-f-]{1,64})\/queue$/

/** One route of the shortcut: its method, its template and its request metrics series. */
interface ShortcutRoute {
  readonly method: "GET" | "POST"
  readonly template: string
  readonly record: ((status: number, durationMs: number, context: Context.Context<never>) => void) | undefined
  /** Answers the shortcut gave, whatever their status: shows the front door takes its traffic. */
  readonly answered: Metric.Counter<number>
}

/**
 * The shortcut at the front door, over the engine's `Booking` and `Identity`.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * const front = queueShortcutFrontLayer({ requestMetrics: true, accessLog: "errors", drainTimeout: Duration.seconds(10) })
 * ```
 */
export const queueShortcutFrontLayer = (options: {
  readonly requestMetrics: boolean
  /** The access log's mode, or null where the server logs no requests at all. */
  readonly accessLog: AccessLogMode | null
  readonly drainTimeout: Duration.Duration
}) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const shortcut = yield* QueueShortcut.make
      // The server's own services: its logger, tracer, metric registry and log level.
      const context = yield* Effect.context<never>()
      const tracing = yield* Effect.withFiber((fiber) => Effect.succeed(fiber.getRef(References.TracerEnabled)))
      const route = (method: "GET" | "POST", template: string): ShortcutRoute => ({
        method,
        template,
        record: options.requestMetrics ? RequestMetrics.recorder(method, template) : undefined,
        answered: Metric.counter("boxoffice_queue_shortcut_answers_total", {
          description: "Requests answered by the queue shortcut at the front door, by route",
          incremental: true,
          attributes: { route: template }
        })
      })
      const statusRoute = route("GET", "/queue/status")
      const joinRoute = route("POST", "/concerts/:concertId/queue")
      const inFlight = new Set<Fiber.Fiber<PlainAnswer>>()
      const batch = makeAnswerBatch()

      /** Then, as the router's middlewares do: the series, the access log's line, a defect logged. */
      const afterwards = (
        shortcutRoute: ShortcutRoute,
        url: string,
        startedMs: number,
        exit: Exit.Exit<PlainAnswer>
      ) => {
        const answered = Exit.isSuccess(exit) ? exit.value : internalError
        shortcutRoute.record?.(answered.status, performance.now() - startedMs, context)
        shortcutRoute.answered.updateUnsafe(1, context)
        const defect = Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)
        const logged = options.accessLog !== null && (options.accessLog === "all" || answered.status >= 500)
        if (!defect && !logged) return answered
        Effect.runForkWith(context)(
          Effect.andThen(
            defect ? logDefect(shortcutRoute.method, url, exit.cause) : Effect.void,
            logged ? logAnswer(options.accessLog!, shortcutRoute.method, url, Exit.succeed(answered)) : Effect.void
          )
        )
        return answered
      }

      const serve = (
        shortcutRoute: ShortcutRoute,
        url: string,
        answer: Effect.Effect<PlainAnswer>,
        response: ServerResponse
      ) => {
        const startedMs = performance.now()
        const traced = tracing
          ? Effect.withSpan(
              Effect.tap(answer, (answered) =>
                Effect.annotateCurrentSpan("http.response.status_code", answered.status)
              ),
              shortcutRoute.method,
              { kind: "server", attributes: { "http.request.method": shortcutRoute.method, "url.path": url } }
            )
          : answer
        const fiber = Effect.runForkWith(context)(traced)
        const done = (exit: Exit.Exit<PlainAnswer>) =>
          batch.write(response, afterwards(shortcutRoute, url, startedMs, exit))
        const exit = fiber.pollUnsafe()
        if (exit !== undefined) return done(exit)
        inFlight.add(fiber)
        fiber.addObserver((exit) => {
          inFlight.delete(fiber)
          done(exit)
        })
      }

      /** A join passes the same rate-limit gate as HttpApi's `joinQueue`: its limits are counted once, here. */
      const found = yield* Effect.serviceOption(RateLimitGate)
      const gate = Option.isSome(found) && found.value.counts("joinQueue") ? found.value : undefined
      const limited = (
        gate: RateLimitGate["Service"],
        request: IncomingMessage,
        authorization: string | undefined,
        answer: Effect.Effect<PlainAnswer>
      ): Effect.Effect<PlainAnswer> => {
        const address = gate.clientAddress(
          request.socket.remoteAddress,
          request.headers["x-forwarded-for"] as string | undefined
        )
        return Effect.flatMap(gate.check("joinQueue", address, authorization), (refusal) => {
          if (refusal === undefined) return answer
          const refused = rateLimitedAnswer(refusal)
          return Effect.succeed<PlainAnswer>({
            status: refused.status,
            contentType: "application/problem+json",
            body: refused.body,
            headers: refused.headers
          })
        })
      }

      const front = (request: IncomingMessage, response: ServerResponse): boolean => {
        if (!bodiless(request)) return false
        const url = request.url ?? ""
        if (request.method === "GET" && url === "/queue/status") {
          serve(
            statusRoute,
            url,
            shortcut.status(request.headers.authorization, request.headers["queue-token"] as string | undefined),
            response
          )
          return true
        }
        const concertId = request.method === "POST" ? joinPath.exec(url)?.[1] : undefined
        if (concertId === undefined) return false
        const authorization = request.headers.authorization
        const join = shortcut.join(authorization, concertId, request.headers["human-check"] as string | undefined)
        serve(joinRoute, url, gate === undefined ? join : limited(gate, request, authorization, join), response)
        return true
      }

      // Finalizers run in reverse: the door closes first, then the answers in flight finish on open stores.
      yield* Effect.addFinalizer(() =>
        Effect.ignore(Effect.timeout(Fiber.awaitAll([...inFlight]), options.drainTimeout))
      )
      yield* (yield* FrontDoor).open(front)
    })
  )
