/**
 * The checks every user route makes before its use case, as one piece for
 * both ways a route is served (HttpApi's middlewares and `QueueShortcut`):
 * the caller from the bearer credential, and a schema failure worded as a
 * 400 `invalid-request` that says where.
 *
 * @since 0.2.0
 * @internal
 */
import type { Identity, UserId } from "@boxoffice/core"
import { Effect, type Redacted } from "effect"
import { InvalidRequestProblem, toProblem, type UnauthenticatedProblem, type UnavailableProblem } from "../Problems.ts"

/**
 * The user of a bearer credential, `unauthenticated` saying why, or
 * `unavailable` when the identity cannot judge (its key source is down).
 */
export const authenticateUser = (
  identity: Identity["Service"],
  credential: Redacted.Redacted<string>
): Effect.Effect<UserId, UnauthenticatedProblem | UnavailableProblem> =>
  Effect.mapError(identity.authenticate(credential), toProblem)

/** Longest detail of a schema failure: the issue tree can echo a whole body back. */
const detailLengthMax = 1_000

/** A request part that failed its schema (`params: Expected a UUID…`), as `invalid-request`. */
export const invalidRequest = (part: string, message: string): InvalidRequestProblem =>
  new InvalidRequestProblem({
    code: "invalid-request",
    detail: `${part.toLowerCase()}: ${message}`.slice(0, detailLengthMax)
  })
