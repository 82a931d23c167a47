/**
 * A problem's JSON text, as HttpApi writes it: the problem encoded by its own
 * schema class, then `JSON.stringify`.
 *
 * @since 0.3.0
 * @internal
 */
import type { BookingError } from "@boxoffice/core"
import { Schema } from "effect"
import type {
  InvalidRequestProblem,
  ProblemFor,
  QueueTokenInvalidProblem,
  UnauthenticatedProblem
} from "../Problems.ts"

/** Any problem a hot route answers with: a class made by `HttpApiError.Problem`, carrying its status. */
export type AnyProblem = ProblemFor<BookingError> | InvalidRequestProblem | QueueTokenInvalidProblem | UnauthenticatedProblem

/** One encoder per schema class, made on first use. */
const encoders = new Map<unknown, (value: unknown) => unknown>()

/** The problem's JSON text. */
export const problemJson = (problem: AnyProblem): string => {
  const schema = problem.constructor
  let encoder = encoders.get(schema)
  if (encoder === undefined) {
    encoder = Schema.encodeSync(schema as unknown as Schema.Codec<unknown, unknown>)
    encoders.set(schema, encoder)
  }
  return JSON.stringify(encoder(problem))
}
