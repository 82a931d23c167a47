/**
 * When a date sells: until it starts.
 *
 * @since 0.2.0
 */
import { DateTime, Result } from "effect"
import { SaleClosed } from "../Errors.ts"
import type { ConcertDate } from "../model/Concert.ts"

/**
 * A date that has started sells nothing more, neither holds nor payments.
 *
 * @example
 * ```ts
 * import { checkSaleOpen } from "@boxoffice/core"
 * declare const date: import("@boxoffice/core").ConcertDate
 * const open = checkSaleOpen(date, Date.now()) // Result: Success, or Failure(SaleClosed)
 * ```
 * @category rules
 */
export const checkSaleOpen = (date: ConcertDate, nowMs: number): Result.Result<void, SaleClosed> =>
  DateTime.toEpochMillis(date.startsAt) <= nowMs
    ? Result.fail(new SaleClosed({ dateId: date.dateId }))
    : Result.succeed(undefined)
