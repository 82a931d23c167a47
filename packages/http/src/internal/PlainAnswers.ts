/**
 * The steps the plain-answer routes share: the caller authenticated as the
 * `UserAuth` middleware does, a slot decoded as HttpApi decodes it, and
 * problems written as HttpApi writes them.
 *
 * @since 0.3.0
 * @internal
 */
import type { Identity, UserId } from "@boxoffice/core"
import { Effect, Exit, Redacted, Schema } from "effect"
import { bearerCredential, type PlainAnswer } from "../PlainAnswer.ts"
import { InvalidRequestProblem, UnauthenticatedProblem } from "../Problems.ts"
import { type AnyProblem, problemJson } from "./ProblemJson.ts"

/** A problem as a whole answer. */
export const problemAnswer = (problem: AnyProblem): PlainAnswer => ({
  status: problem.status,
  contentType: "application/problem+json",
  body: problemJson(problem)
})

/** A schema failure, worded as HttpApi words it: `params: Expected a UUID\n  at ["concertId"]`. */
export const invalidRequest = (slot: "params" | "headers" | "payload", message: string) =>
  new InvalidRequestProblem({ code: "invalid-request", detail: `${slot}: ${message}`.slice(0, 1_000) })

/** The caller of the `Authorization` header, as the `UserAuth` middleware finds them. */
export const authenticate = (
  identity: Identity["Service"],
  authorization: string | undefined
): Effect.Effect<UserId, UnauthenticatedProblem> =>
  Effect.mapError(
    identity.authenticate(Redacted.make(bearerCredential(authorization))),
    (error) => new UnauthenticatedProblem({ code: "unauthenticated", detail: error.detail })
  )

/** `then` for the caller of the `Authorization` header, or the `unauthenticated` answer. */
export const asUser = (
  identity: Identity["Service"],
  authorization: string | undefined,
  then: (userId: UserId) => Effect.Effect<PlainAnswer>
): Effect.Effect<PlainAnswer> =>
  Effect.matchEffect(authenticate(identity, authorization), {
    onFailure: (problem) => Effect.succeed(problemAnswer(problem)),
    onSuccess: then
  })

/**
 * A slot decoder with an endpoint's own schema: `then` for the decoded value,
 * or the `invalid-request` answer worded as HttpApi words it
 * (`params: Expected a UUID…`).
 */
export const slotDecoder = <A>(slot: "params" | "headers", schema: Schema.Top | undefined) => {
  const decode = Schema.decodeUnknownExit(schema as unknown as Schema.Codec<A, unknown>)
  return (input: unknown, then: (value: A) => Effect.Effect<PlainAnswer>): Effect.Effect<PlainAnswer> => {
    const exit = decode(input)
    if (Exit.isSuccess(exit)) return then(exit.value)
    const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
    if (failure === undefined) return Effect.die(exit.cause)
    return Effect.succeed(problemAnswer(invalidRequest(slot, (failure.error as Error).message)))
  }
}
