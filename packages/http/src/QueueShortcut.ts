/**
 * The two calls a sale's crowd makes, `GET /queue/status` (polling) and
 * `POST /concerts/{concertId}/queue` (joining), as functions from what the
 * request carries to the whole answer, for a transport that answers them
 * ahead of HttpApi. Nearly all of a sale's requests are these two, and
 * HttpApi's per-request machinery costs more than the poll's own work.
 *
 * They keep the contract by taking its pieces rather than copying them:
 * HttpApi's own bearer decoder, the user authentication and the
 * `invalid-request` wording that the HttpApi middlewares use
 * (`internal/RequestChecks.ts`), the endpoints' schemas for what they decode,
 * and the problems of `toProblem`, encoded by their own classes. A test sends
 * the same requests through the shortcut and through HttpApi and requires
 * equal answers (`examples/server/test/queue-shortcut.test.ts`).
 *
 * @since 0.2.0
 */
import { Booking, type BookingError, type ConcertId, Identity, type UserId } from "@boxoffice/core"
import { Effect, Exit, Schema } from "effect"
import { UserGroup } from "./Api.ts"
import { bearerCredential } from "./internal/EffectInternals.ts"
import { statusJson, ticketJson } from "./internal/AnswerJson.ts"
import { authenticateUser, invalidRequest } from "./internal/RequestChecks.ts"
import {
  type InvalidRequestProblem,
  type ProblemFor,
  QueueTokenInvalidProblem,
  toProblem,
  type UnauthenticatedProblem
} from "./Problems.ts"
import { statusFields } from "./Responses.ts"

/** A whole answer, as a transport writes it. @category models */
export interface PlainAnswer {
  readonly status: number
  readonly contentType: "application/json" | "application/problem+json"
  readonly body: string
  /** Any other header fields of the answer (a rate limit's). */
  readonly headers?: Readonly<Record<string, string>>
}

/** The two answerers. Their effects never fail: refusals are problem answers; defects stay defects. @category models */
export interface QueueShortcut {
  /** A poll, from its `Authorization` and `Queue-Token` headers. */
  readonly status: (authorization: string | undefined, queueToken: string | undefined) => Effect.Effect<PlainAnswer>
  /** A join, from its `Authorization` and `Human-Check` headers and the concert id in its path. */
  readonly join: (
    authorization: string | undefined,
    concertId: string,
    humanProof: string | undefined
  ) => Effect.Effect<PlainAnswer>
}

type AnyProblem = ProblemFor<BookingError> | InvalidRequestProblem | QueueTokenInvalidProblem | UnauthenticatedProblem

/** One encoder per problem class, made on first use. */
const problemEncoders = new Map<unknown, (problem: unknown) => unknown>()

/** A problem as HttpApi answers it: encoded by its own class. */
const problemAnswer = (problem: AnyProblem): PlainAnswer => {
  let encode = problemEncoders.get(problem.constructor)
  if (encode === undefined) {
    encode = Schema.encodeSync(problem.constructor as unknown as Schema.Codec<unknown, unknown>)
    problemEncoders.set(problem.constructor, encode)
  }
  return { status: problem.status, contentType: "application/problem+json", body: JSON.stringify(encode(problem)) }
}

/** The concert id decoded by the join endpoint's own schema, or `invalid-request` worded as HttpApi's validation words it. */
const decodeJoinParams = (() => {
  const decode = Schema.decodeUnknownExit(
    UserGroup.endpoints.joinQueue.params as unknown as Schema.Codec<{ readonly concertId: ConcertId }, unknown>
  )
  return (params: {
    readonly concertId: string
  }): Effect.Effect<{ readonly concertId: ConcertId }, InvalidRequestProblem> => {
    const exit = decode(params)
    if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
    const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
    return failure === undefined
      ? Effect.die(exit.cause)
      : Effect.fail(invalidRequest("Params", (failure.error as Error).message))
  }
})()

const missingQueueToken = new QueueTokenInvalidProblem({
  code: "queue-token-invalid",
  detail: "the Queue-Token header is missing"
})

/**
 * The answerers over `Booking` and `Identity`.
 *
 * @example
 * ```ts
 * import { QueueShortcut } from "@boxoffice/http"
 * import { Effect } from "effect"
 * const program = Effect.gen(function*() {
 *   const shortcut = yield* QueueShortcut.make
 *   return yield* shortcut.status("Bearer at1.…", "qt1.…") // { status: 200, contentType: "application/json", body: "{…}" }
 * })
 * ```
 * @category constructors
 */
export const QueueShortcut = {
  make: Effect.gen(function* (): Effect.fn.Return<QueueShortcut, never, Booking | Identity> {
    const booking = yield* Booking
    const identity = yield* Identity

    /** The caller first, as the `UserAuth` middleware runs before the endpoint decodes anything. */
    const asUser = (
      authorization: string | undefined,
      answer: (userId: UserId) => Effect.Effect<PlainAnswer, AnyProblem>
    ) =>
      bearerCredential(authorization).pipe(
        Effect.flatMap((credential) => authenticateUser(identity, credential)),
        Effect.flatMap(answer),
        Effect.catch((problem) => Effect.succeed(problemAnswer(problem)))
      )

    return {
      // The header schema takes any string, and a Node header is one: nothing to decode.
      status: (authorization, queueToken) =>
        asUser(authorization, (userId) => {
          if (queueToken === undefined || queueToken === "") return Effect.fail(missingQueueToken)
          return Effect.mapBoth(booking.queueStatus(userId, queueToken), {
            onFailure: toProblem,
            onSuccess: (entry): PlainAnswer => ({
              status: 200,
              contentType: "application/json",
              body: statusJson(statusFields(entry))
            })
          })
        }),
      join: (authorization, concertId, humanProof) =>
        asUser(authorization, (userId) =>
          Effect.flatMap(decodeJoinParams({ concertId }), (params) =>
            Effect.mapBoth(booking.joinQueue(userId, params.concertId, humanProof ?? null), {
              onFailure: toProblem,
              // QueueJoined (201) and QueueRejoined (200) have the same fields.
              onSuccess: (ticket): PlainAnswer => ({
                status: ticket.created ? 201 : 200,
                contentType: "application/json",
                body: ticketJson({ queueToken: ticket.queueToken, ...statusFields(ticket.entry) })
              })
            })
          )
        )
    }
  })
}
