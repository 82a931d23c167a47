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
import { Effect, Exit, Redacted, Schema } from "effect"
import { UserGroup } from "./Api.ts"
import { statusJson } from "./internal/AnswerJson.ts"
import { type AnyProblem, problemJson } from "./internal/ProblemJson.ts"
import { InvalidRequestProblem, QueueTokenInvalidProblem, toProblem, UnauthenticatedProblem } from "./Problems.ts"
import { statusFields } from "./Responses.ts"

/** A whole answer, as a transport writes it. @category models */
export interface PlainAnswer {
  readonly status: number
  readonly contentType: "application/json" | "application/problem+json"
  readonly body: string
}

/**
 * The credential of an `Authorization: Bearer …` header, exactly as
 * HttpApi's bearer security reads it (RFC 9110: the scheme in any case,
 * then one or more spaces); "" when there is none.
 *
 * @example
 * ```ts
 * import { bearerCredential } from "@boxoffice/http"
 * bearerCredential("bearer  at1.abc") // "at1.abc"
 * ```
 * @category parsing
 */
export const bearerCredential = (authorization: string | undefined): string => {
  if (authorization === undefined || authorization.length <= 6 || authorization.charCodeAt(6) !== 32) return ""
  if (authorization.slice(0, 6).toLowerCase() !== "bearer") return ""
  let start = 7
  while (authorization.charCodeAt(start) === 32) start++
  return authorization.slice(start)
}

/** Answers one poll from its `Authorization` and `Queue-Token` headers. @category models */
export type QueueStatusAnswerer = (authorization: string | undefined, queueToken: string | undefined) => Effect.Effect<PlainAnswer>

const statusHeaders = Schema.decodeUnknownExit(
  UserGroup.endpoints.queueStatus.headers as unknown as Schema.Codec<{ readonly "queue-token"?: string | undefined }, unknown>
)

const problemAnswer = (problem: AnyProblem): PlainAnswer => ({
  status: problem.status,
  contentType: "application/problem+json",
  body: problemJson(problem)
})

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
    return (authorization, queueToken) => {
      const credential = Redacted.make(bearerCredential(authorization))
      return identity.authenticate(credential).pipe(
        Effect.matchEffect({
          onFailure: (error) =>
            Effect.succeed(problemAnswer(new UnauthenticatedProblem({ code: "unauthenticated", detail: error.detail }))),
          onSuccess: (userId) => {
            const headers = statusHeaders(queueToken === undefined ? {} : { "queue-token": queueToken })
            if (Exit.isFailure(headers)) {
              const failure = headers.cause.reasons.find((reason) => reason._tag === "Fail")
              if (failure === undefined) return Effect.die(headers.cause)
              const detail = `headers: ${(failure.error as Error).message}`.slice(0, 1_000)
              return Effect.succeed(problemAnswer(new InvalidRequestProblem({ code: "invalid-request", detail })))
            }
            const token = headers.value["queue-token"]
            if (token === undefined || token === "") return Effect.succeed(missingQueueToken)
            return Effect.match(booking.queueStatus(userId, token), {
              onFailure: (error) => problemAnswer(toProblem(error)),
              onSuccess: (entry): PlainAnswer => ({
                status: 200,
                contentType: "application/json",
                body: statusJson(statusFields(entry))
              })
            })
          }
        })
      )
    }
  })
}
