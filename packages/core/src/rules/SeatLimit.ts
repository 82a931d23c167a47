/**
 * Which seats a hold may ask for: in the date's range, and within the
 * per-user cap for that date.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { HoldLimitExceeded, InvalidRequest } from "../Errors.ts"

/** Every seat must exist on the date, and none may repeat. @category rules */
export const checkSeatRange = (
  seatNumbers: ReadonlyArray<number>,
  seatCount: number
): Result.Result<void, InvalidRequest> => {
  if (seatNumbers.length === 0) return Result.fail(new InvalidRequest({ detail: "seatNumbers is empty" }))
  const outside = seatNumbers.filter((n) => !Number.isInteger(n) || n < 1 || n > seatCount)
  if (outside.length > 0) {
    return Result.fail(new InvalidRequest({ detail: `seats ${outside.join(", ")} are outside 1..${seatCount}` }))
  }
  if (new Set(seatNumbers).size !== seatNumbers.length) {
    return Result.fail(new InvalidRequest({ detail: "seatNumbers repeats a seat" }))
  }
  return Result.succeed(undefined)
}

/**
 * A user may hold and own at most `maxSeatsPerUser` seats per date, counting
 * live holds and seats already bought.
 *
 * @example
 * ```ts
 * import { checkSeatLimit } from "@boxoffice/core"
 * checkSeatLimit({ seatsAlready: 3, seatsRequested: 2, maxSeatsPerUser: 4 }) // failure: HoldLimitExceeded
 * ```
 * @category rules
 */
export const checkSeatLimit = (input: {
  readonly seatsAlready: number
  readonly seatsRequested: number
  readonly maxSeatsPerUser: number
}): Result.Result<void, HoldLimitExceeded> =>
  input.seatsAlready + input.seatsRequested > input.maxSeatsPerUser
    ? Result.fail(new HoldLimitExceeded({ maxSeatsPerUser: input.maxSeatsPerUser, seatsAlready: input.seatsAlready }))
    : Result.succeed(undefined)
