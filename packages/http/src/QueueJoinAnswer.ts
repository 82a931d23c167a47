/**
 * `POST /concerts/{concertId}/queue` as one function from what the request
 * carries (its `Authorization` header and the path's concert id) to the whole
 * answer: 201 for a new place, 200 for the same place again, or a problem.
 * At a sale's opening every buyer joins at once; like `QueueStatusAnswer`,
 * the router's fast route and the example server's Node lane call this one
 * function.
 *
 * @since 0.3.0
 */
import { Booking, type ConcertId, Identity } from "@boxoffice/core"
import { Effect } from "effect"
import { UserGroup } from "./Api.ts"
import { ticketJson } from "./internal/AnswerJson.ts"
import { asUser, problemAnswer, slotDecoder } from "./internal/PlainAnswers.ts"
import type { PlainAnswer } from "./PlainAnswer.ts"
import { toProblem } from "./Problems.ts"
import { statusFields } from "./Responses.ts"

/** Answers one join from its `Authorization` header and the concert id in its path. @category models */
export type QueueJoinAnswerer = (authorization: string | undefined, concertId: string) => Effect.Effect<PlainAnswer>

const decodeParams = slotDecoder<{ readonly concertId: ConcertId }>("params", UserGroup.endpoints.joinQueue.params)

/**
 * Makes the answerer over `Booking` and `Identity`. Its effect never fails:
 * refusals are problem answers, as HttpApi would write them.
 *
 * @example
 * ```ts
 * import { QueueJoinAnswer } from "@boxoffice/http"
 * import { Effect } from "effect"
 * const program = Effect.gen(function*() {
 *   const answer = yield* QueueJoinAnswer.make
 *   return yield* answer("Bearer at1.…", "0b6f…") // { status: 201, contentType: "application/json", body: "{\"queueToken\":…}" }
 * })
 * ```
 * @category constructors
 */
export const QueueJoinAnswer = {
  make: Effect.gen(function*(): Effect.fn.Return<QueueJoinAnswerer, never, Booking | Identity> {
    const booking = yield* Booking
    const identity = yield* Identity
    return (authorization, concertId) =>
      asUser(identity, authorization, (userId) =>
        decodeParams({ concertId }, (params) =>
          Effect.match(booking.joinQueue(userId, params.concertId), {
            onFailure: (error) => problemAnswer(toProblem(error)),
            // QueueJoined (201) and QueueRejoined (200) have the same fields.
            onSuccess: (ticket): PlainAnswer => ({
              status: ticket.created ? 201 : 200,
              contentType: "application/json",
              body: ticketJson({ queueToken: ticket.queueToken, ...statusFields(ticket.entry) })
            })
          })))
  })
}
