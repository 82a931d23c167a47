/**
 * The two routes of `QueueGroup`, joining and polling, served as plain
 * router routes. A sale's crowd makes nearly all of its requests here, and
 * HttpApi's per-request machinery (its middleware chain, slot decoders and
 * union encoders) costs a polled request more than the poll's own work.
 *
 * These routes keep the contract by taking its pieces, not copying them:
 * HttpApi's bearer decoder, the same user authentication and
 * `invalid-request` wording (`internal/RequestChecks.ts`), the endpoints' own
 * schemas for what they decode and encode, and the problems of `toProblem`.
 * They run inside the same router, so the transport guards, request metrics,
 * access log and tracing see them exactly as any route. A test sends the same
 * requests to a server with the shortcut and one without, and requires equal
 * answers (`examples/server/test/queue-shortcut.test.ts`).
 *
 * @since 0.4.0
 */
import { Booking, type BookingError, type ConcertId, Identity, type UserId } from "@boxoffice/core"
import { Effect, Exit, Layer, Schema } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiSecurity } from "effect/http-api"
import { QueueGroup, QueueJoined, QueueRejoined, QueueStatusResponse } from "./Api.ts"
import { authenticateUser, invalidRequest } from "./internal/RequestChecks.ts"
import { type InvalidRequestProblem, type ProblemFor, QueueTokenInvalidProblem, toProblem, type UnauthenticatedProblem } from "./Problems.ts"
import { statusFields } from "./Responses.ts"

type AnyProblem = ProblemFor<BookingError> | InvalidRequestProblem | QueueTokenInvalidProblem | UnauthenticatedProblem

/** One encoder per problem class, made on first use. */
const problemEncoders = new Map<unknown, (problem: unknown) => unknown>()

/** A problem answered as HttpApi answers it: encoded by its own class, as `application/problem+json`. */
const problemResponse = (problem: AnyProblem) => {
  let encode = problemEncoders.get(problem.constructor)
  if (encode === undefined) {
    encode = Schema.encodeSync(problem.constructor as unknown as Schema.Codec<unknown, unknown>)
    problemEncoders.set(problem.constructor, encode)
  }
  return HttpServerResponse.text(JSON.stringify(encode(problem)), {
    status: problem.status,
    contentType: "application/problem+json"
  })
}

/** A success answer as HttpApi writes it: encoded by the response schema, then `JSON.stringify`. */
const jsonResponse = <A>(schema: Schema.Codec<A, unknown>) => {
  const encode = Schema.encodeSync(schema)
  return (value: A, status: number) =>
    HttpServerResponse.text(JSON.stringify(encode(value)), { status, contentType: "application/json" })
}
const statusResponse = jsonResponse(QueueStatusResponse)
const joinedResponse = jsonResponse(QueueJoined)
const rejoinedResponse = jsonResponse(QueueRejoined)

/** A request part decoded by its endpoint's own schema, or `invalid-request` worded as HttpApi's validation words it. */
const partDecoder = <A>(part: "Params" | "Headers", schema: Schema.Top | undefined) => {
  const decode = Schema.decodeUnknownExit(schema as unknown as Schema.Codec<A, unknown>)
  return (input: unknown): Effect.Effect<A, InvalidRequestProblem> => {
    const exit = decode(input)
    if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
    const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
    return failure === undefined ? Effect.die(exit.cause) : Effect.fail(invalidRequest(part, String((failure.error as Error).message)))
  }
}
const decodeStatusHeaders = partDecoder<{ readonly "queue-token"?: string | undefined }>(
  "Headers",
  QueueGroup.endpoints.queueStatus.headers
)
const decodeJoinParams = partDecoder<{ readonly concertId: ConcertId }>("Params", QueueGroup.endpoints.joinQueue.params)

const missingQueueToken = new QueueTokenInvalidProblem({ code: "queue-token-invalid", detail: "the Queue-Token header is missing" })

const bearerCredential = HttpApiBuilder.securityDecode(HttpApiSecurity.bearer)

/**
 * The shortcut's routes over `Booking` and `Identity`. Serve them beside
 * `ApiBesideShortcut` (what `BoxofficeHttp.layer` does by default), never
 * beside the whole `BoxofficeApi`, whose router would hold the same routes.
 *
 * @example
 * ```ts
 * import { QueueShortcut } from "@boxoffice/http"
 * const routes = QueueShortcut.layer // needs Booking and Identity
 * ```
 * @category layers
 */
export const QueueShortcut = {
  layer: Layer.unwrap(Effect.gen(function*() {
    const booking = yield* Booking
    const identity = yield* Identity

    /** The caller first, as the `UserAuth` middleware runs before the endpoint decodes anything. */
    const asUser = (answer: (userId: UserId) => Effect.Effect<HttpServerResponse.HttpServerResponse, AnyProblem>) =>
      bearerCredential.pipe(
        Effect.flatMap((credential) => authenticateUser(identity, credential)),
        Effect.flatMap(answer),
        Effect.catch((problem) => Effect.succeed(problemResponse(problem)))
      )

    const status = HttpRouter.add("GET", "/queue/status", (request) =>
      asUser((userId) =>
        Effect.flatMap(decodeStatusHeaders(request.headers), (headers) => {
          const token = headers["queue-token"]
          if (token === undefined || token === "") return Effect.fail(missingQueueToken)
          return Effect.mapBoth(booking.queueStatus(userId, token), {
            onFailure: toProblem,
            onSuccess: (entry) => statusResponse(new QueueStatusResponse(statusFields(entry)), 200)
          })
        })))

    const join = HttpRouter.add("POST", "/concerts/:concertId/queue", () =>
      Effect.flatMap(HttpRouter.params, (params) =>
        asUser((userId) =>
          Effect.flatMap(decodeJoinParams(params), ({ concertId }) =>
            Effect.mapBoth(booking.joinQueue(userId, concertId), {
              onFailure: toProblem,
              onSuccess: (ticket) => {
                const fields = { queueToken: ticket.queueToken, ...statusFields(ticket.entry) }
                return ticket.created
                  ? joinedResponse(new QueueJoined(fields), 201)
                  : rejoinedResponse(new QueueRejoined(fields), 200)
              }
            })))))

    return Layer.mergeAll(status, join)
  }))
}
