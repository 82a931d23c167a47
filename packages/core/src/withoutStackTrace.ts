/**
 * Expected outcomes without stack traces.
 *
 * @since 0.2.0
 */
import { restoreStackTraces, suspendStackTraces } from "./internal/stackTraceLimit.ts"

/**
 * Builds an error that is an expected outcome without capturing a stack
 * trace. Errors are `Error`s, and each records its stack when it is made:
 * about 4 µs on a loaded server. In a hot-seat storm nearly every request
 * is refused; nobody reads the stack of a refusal. The engine's own outcome
 * errors (`SeatUnavailable`, `QueueNotAdmitted`, …) are always made this
 * way; this is for others, such as the HTTP adapter's problems. Defects
 * keep their stacks.
 *
 * @example
 * ```ts
 * import { withoutStackTrace } from "@boxoffice/core"
 * class SoldOut extends Error {}
 * const refusal = withoutStackTrace(() => new SoldOut("sold out"))
 * ```
 * @category errors
 */
export const withoutStackTrace = <A>(make: () => A): A => {
  const limit = suspendStackTraces()
  try {
    return make()
  } finally {
    restoreStackTraces(limit)
  }
}
