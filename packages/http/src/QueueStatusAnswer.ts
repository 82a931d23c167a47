/**
 * `GET /queue/status` as one function from the two request headers it reads
 * to the whole answer (status, media type, JSON text). Polling is most of a
 * sale's traffic, so a server may answer it outside Effect's HTTP server:
 * the example server's Node lane calls this function, and the router's fast
 * route calls the same function, so the two paths cannot answer differently.
 *
 * @since 0.3.0
 */
import { Booking, Identity } from "@boxoffice/core"
import { Effect } from "effect"
import { UserGroup } from "./Api.ts"
import { statusJson } from "./internal/AnswerJson.ts"
import { asUser, problemAnswer, slotDecoder } from "./internal/PlainAnswers.ts"
import type { PlainAnswer } from "./PlainAnswer.ts"
import { QueueTokenInvalidProblem, toProblem } from "./Problems.ts"
import { statusFields } from "./Responses.ts"

/** Answers one poll from its `Authorization` and `Queue-Token` headers. @category models */
export type QueueStatusAnswerer = (authorization: string | undefined, queueToken: string | undefined) => Effect.Effect<PlainAnswer>

const decodeHeaders = slotDecoder<{ readonly "queue-token"?: string | undefined }>(
  "headers",
  UserGroup.endpoints.queueStatus.headers
)

const missingQueueToken = problemAnswer(
  new QueueTokenInvalidProblem({ code: "queue-token-invalid", detail: "the Queue-Token header is missing" })
)

/**
 * Makes the answerer over `Booking` and `Identity`. Its effect never fails:
 * refusals are problem answers, as HttpApi would write them. Defects stay
 * defects, for the transport's guards.
 *
 * @example
 * ```ts
 * import { QueueStatusAnswer } from "@boxoffice/http"
 * import { Effect } from "effect"
 * const program = Effect.gen(function*() {
 *   const answer = yield* QueueStatusAnswer.make
 *   return yield* answer("Bearer at1.…", "qt1.…") // { status: 200, contentType: "application/json", body: "{…}" }
 * })
 * ```
 * @category constructors
 */
export const QueueStatusAnswer = {
  make: Effect.gen(function*(): Effect.fn.Return<QueueStatusAnswerer, never, Booking | Identity> {
    const booking = yield* Booking
    const identity = yield* Identity
    return (authorization, queueToken) =>
      asUser(identity, authorization, (userId) =>
        decodeHeaders(queueToken === undefined ? {} : { "queue-token": queueToken }, (headers) => {
          const token = headers["queue-token"]
          if (token === undefined || token === "") return Effect.succeed(missingQueueToken)
          return Effect.match(booking.queueStatus(userId, token), {
            onFailure: (error) => problemAnswer(toProblem(error)),
            onSuccess: (entry): PlainAnswer => ({ status: 200, contentType: "application/json", body: statusJson(statusFields(entry)) })
          })
        }))
  })
}
