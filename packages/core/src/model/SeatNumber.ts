/**
 * Seats are numbered 1..seatCount on each date.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Limits } from "./Limits.ts"

/** A seat number in the widest range any date can have; a date checks its own `seatCount`. @category models */
export const SeatNumber = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.seatCountMax }))
/** @category models */
export type SeatNumber = typeof SeatNumber.Type

/** A non-empty list of distinct seat numbers, at most `seatsPerUserMax` long. @category models */
export const SeatNumbers = Schema.Array(SeatNumber).check(
  Schema.isMinLength(1),
  Schema.isMaxLength(Limits.seatsPerUserMax),
  Schema.isUnique()
)
/** @category models */
export type SeatNumbers = typeof SeatNumbers.Type
