/**
 * A hold: seats kept for one user until `expiresAt`, then paid, released or
 * expired.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { DateId, HoldId, UserId } from "./Ids.ts"
import { Krw } from "./Money.ts"
import { PricedSeat } from "./Seat.ts"
import { SeatNumbers } from "./SeatNumber.ts"

/**
 * What a store keeps. `state` is what was written; whether a `held` hold is
 * still live depends on the clock, so read {@link HoldStatus} through
 * `holdStatus` instead.
 *
 * @category models
 */
export const HoldState = Schema.Literals(["held", "paid", "released"])
/** @category models */
export type HoldState = typeof HoldState.Type

/** The status a reader sees, with expiry judged at read time. @category models */
export const HoldStatus = Schema.Literals(["held", "paid", "expired", "released"])
/** @category models */
export type HoldStatus = typeof HoldStatus.Type

/** A hold as a reader sees it. @category models */
export class Hold extends Schema.Class<Hold>("@boxoffice/core/Hold")({
  holdId: HoldId,
  userId: UserId,
  dateId: DateId,
  seatNumbers: SeatNumbers,
  /** The sum of `seats`' prices. */
  amountKrw: Krw,
  /** Each of `seatNumbers`, in their order, with the price and class fixed when the hold was made. */
  seats: Schema.Array(PricedSeat),
  status: HoldStatus,
  createdAt: Schema.DateTimeUtc,
  expiresAt: Schema.DateTimeUtc
}) {}
