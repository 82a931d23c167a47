/**
 * The four routes a flash sale calls most (status polling, joining,
 * holding, paying) served as plain router routes. HttpApi's per-request
 * machinery (its middleware chain, slot decoding and union encoders) cost
 * more than half of a polled request; these routes do the same steps
 * directly: the bearer credential, then params, headers and payload decoded
 * with the endpoints' own schemas, then the use case. Polls and joins are
 * `QueueStatusAnswer` and `QueueJoinAnswer`, the functions a transport
 * outside Effect's HTTP server calls too. Problems are encoded by their
 * schema classes; success answers are written by `internal/AnswerJson.ts`
 * exactly as their schema classes encode them. The endpoints stay in
 * `BoxofficeApi`, so the OpenAPI document and the typed client are
 * unchanged, and a test sends the same requests through both paths and
 * requires byte-equal answers (`examples/server/test/fast-routes.test.ts`,
 * recorded from the HttpApi implementation).
 *
 * @since 0.2.0
 * @internal
 */
import { Booking, type DateId, type HoldId, Identity, type UserId } from "@boxoffice/core"
import { Effect, Exit, Layer, Schema } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HoldBody, UserGroup } from "./Api.ts"
import { holdJson, paymentJson } from "./internal/AnswerJson.ts"
import { type AnyProblem, problemJson } from "./internal/ProblemJson.ts"
import { authenticate, invalidRequest } from "./internal/PlainAnswers.ts"
import { type InvalidRequestProblem, QueueTokenInvalidProblem, toProblem } from "./Problems.ts"
import type { PlainAnswer } from "./PlainAnswer.ts"
import { QueueJoinAnswer, type QueueJoinAnswerer } from "./QueueJoinAnswer.ts"
import { QueueStatusAnswer, type QueueStatusAnswerer } from "./QueueStatusAnswer.ts"
import { holdFields, paymentFields } from "./Responses.ts"

const endpoints = UserGroup.endpoints

/** A success answer, its JSON written by `AnswerJson` exactly as the response schema encodes it. */
const answer = (json: string, status: number) => HttpServerResponse.text(json, { status, contentType: "application/json" })

const problemResponse = (problem: AnyProblem) =>
  HttpServerResponse.text(problemJson(problem), { status: problem.status, contentType: "application/problem+json" })

const plainResponse = (answer: PlainAnswer) =>
  HttpServerResponse.text(answer.body, { status: answer.status, contentType: answer.contentType })

const decoder = <A>(slot: "params" | "headers" | "payload", schema: Schema.Codec<A, any>) => {
  const decode = Schema.decodeUnknownExit(schema)
  return (input: unknown): Effect.Effect<A, InvalidRequestProblem> => {
    const exit = decode(input)
    if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
    const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
    return failure === undefined ? Effect.die(exit.cause) : Effect.fail(invalidRequest(slot, (failure.error as Error).message))
  }
}

const queueToken = (headers: { readonly "queue-token"?: string | undefined }) =>
  headers["queue-token"] === undefined || headers["queue-token"] === ""
    ? Effect.fail(new QueueTokenInvalidProblem({ code: "queue-token-invalid", detail: "the Queue-Token header is missing" }))
    : Effect.succeed(headers["queue-token"])

/** The JSON body, as HttpApi reads it: a read failure is a defect (the transport guards answer it). */
const jsonBody = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.flatMap(Effect.orDie(request.text), (text): Effect.Effect<unknown, InvalidRequestProblem> => {
    if (text === "") return Effect.succeed(undefined)
    try {
      return Effect.succeed(JSON.parse(text))
    } catch {
      return Effect.fail(invalidRequest("payload", "Expected a valid JSON body"))
    }
  })

const isJsonBody = (request: HttpServerRequest.HttpServerRequest) => {
  const contentType = request.headers["content-type"]
  return contentType === undefined || contentType.split(";")[0]!.trim().toLowerCase() === "application/json"
}

/** An endpoint's own slot schema, typed as what its fields decode to. */
const slot = <A>(schema: Schema.Top | undefined) => schema as unknown as Schema.Codec<A, unknown>
type QueueTokenHeader = { readonly "queue-token"?: string | undefined }

const decodeHoldParams = decoder("params", slot<{ readonly dateId: DateId }>(endpoints.hold.params))
const decodeHoldHeaders = decoder("headers", slot<QueueTokenHeader>(endpoints.hold.headers))
// HttpApi decodes a payload through the union of the endpoint's payload schemas, even of one.
const decodeHoldPayload = decoder("payload", Schema.Union([HoldBody]))
const decodePayParams = decoder("params", slot<{ readonly holdId: HoldId }>(endpoints.pay.params))
const decodePayHeaders = decoder(
  "headers",
  slot<QueueTokenHeader & { readonly "idempotency-key"?: string | undefined }>(endpoints.pay.headers)
)

/** A route whose failures are problems, answered as HttpApi answers them. */
interface Services {
  readonly booking: Booking["Service"]
  readonly identity: Identity["Service"]
}

/**
 * A route whose failures are problems, answered as HttpApi answers them.
 * Built once the engine's services are known, so a request looks none up.
 */
const route = (
  method: "GET" | "POST",
  path: `/${string}`,
  handler: (
    booking: Booking["Service"],
    userId: UserId,
    request: HttpServerRequest.HttpServerRequest,
    params: Readonly<Record<string, string | undefined>>
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, AnyProblem>
) =>
({ booking, identity }: Services) => {
  return HttpRouter.add(method, path, (request) =>
    Effect.flatMap(HttpRouter.params, (params) =>
      authenticate(identity, request.headers["authorization"]).pipe(
        Effect.flatMap((userId) => handler(booking, userId, request, params)),
        Effect.catch((problem) => Effect.succeed(problemResponse(problem)))
      )))
}

const unsupportedMediaType = (request: HttpServerRequest.HttpServerRequest) =>
  HttpServerResponse.text(`Unsupported content-type: ${request.headers["content-type"]!.split(";")[0]!.trim().toLowerCase()}`, {
    status: 415
  })

/** The same answerer as a transport outside Effect's HTTP server uses (`QueueStatusAnswer`). */
const statusRoute = (answerStatus: QueueStatusAnswerer) =>
  HttpRouter.add("GET", "/queue/status", (request) =>
    Effect.map(answerStatus(request.headers["authorization"], request.headers["queue-token"]), plainResponse))

/** The same answerer as a transport outside Effect's HTTP server uses (`QueueJoinAnswer`). */
const joinRoute = (answerJoin: QueueJoinAnswerer) =>
  HttpRouter.add("POST", "/concerts/:concertId/queue", (request) =>
    Effect.flatMap(HttpRouter.params, (params) =>
      Effect.map(answerJoin(request.headers["authorization"], params["concertId"] ?? ""), plainResponse)))

const holdRoute = route("POST", "/dates/:dateId/holds", (booking, userId, request, params) =>
    Effect.flatMap(decodeHoldParams(params), ({ dateId }) =>
      Effect.flatMap(decodeHoldHeaders(request.headers), (headers) => {
        if (!isJsonBody(request)) return Effect.succeed(unsupportedMediaType(request))
        return Effect.flatMap(Effect.flatMap(jsonBody(request), decodeHoldPayload), ({ seatNumbers }) =>
          Effect.flatMap(queueToken(headers), (token) =>
            Effect.map(
              Effect.mapError(booking.hold(userId, token, dateId, seatNumbers), toProblem),
              (hold) => answer(holdJson(holdFields(hold)), 201)
            )))
      })))

const payRoute = route("POST", "/holds/:holdId/payment", (booking, userId, request, params) =>
    Effect.flatMap(decodePayParams(params), ({ holdId }) =>
      Effect.flatMap(decodePayHeaders(request.headers), (headers) =>
        Effect.flatMap(queueToken(headers), (token) =>
          Effect.map(
            Effect.mapError(booking.pay(userId, token, holdId, headers["idempotency-key"] ?? null), toProblem),
            (receipt) => answer(paymentJson(paymentFields(receipt)), 201)
          )))))

/**
 * The fast routes, over `Booking` and `Identity`.
 *
 * @internal
 */
export const FastRoutes = {
  layer: Layer.unwrap(Effect.gen(function*() {
    const services: Services = { booking: yield* Booking, identity: yield* Identity }
    return Layer.mergeAll(statusRoute(yield* QueueStatusAnswer.make), joinRoute(yield* QueueJoinAnswer.make), holdRoute(services), payRoute(services))
  }))
}
