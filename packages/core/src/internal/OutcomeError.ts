import { Schema } from "effect"
import { restoreStackTraces, suspendStackTraces } from "./stackTraceLimit.ts"

/**
 * `Schema.TaggedError` for an expected outcome of a use case (a seat
 * someone holds, a token still waiting): its instances record no stack
 * trace, which nobody reads and which cost about 4 µs each (see
 * `withoutStackTrace`). Failures of a store keep theirs.
 */
export const OutcomeError = <Self>() =>
<const Tag extends string, const Fields extends Schema.Struct.Fields>(tag: Tag, fields: Fields) => {
  const Base = Schema.TaggedError<Self>()(tag, fields)
  class Stackless extends (Base as unknown as new(...args: ReadonlyArray<unknown>) => object) {
    constructor(...args: ReadonlyArray<unknown>) {
      const limit = suspendStackTraces()
      try {
        super(...args)
      } finally {
        restoreStackTraces(limit)
      }
    }
  }
  return Stackless as unknown as typeof Base
}
