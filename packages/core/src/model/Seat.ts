/**
 * One seat of one date, as a buyer sees it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { PriceKrw } from "./Money.ts"
import { SeatNumber } from "./SeatNumber.ts"

/** @category models */
export const SeatStatus = Schema.Literals(["available", "held", "sold"])
/** @category models */
export type SeatStatus = typeof SeatStatus.Type

/** A seat with its own price, and the name of its class (null outside every class). @category models */
export class Seat extends Schema.Class<Seat>("@boxoffice/core/Seat")({
  seatNumber: SeatNumber,
  priceKrw: PriceKrw,
  status: SeatStatus,
  className: Schema.NullOr(Schema.String)
}) {}

/**
 * A seat as a hold fixed it: its price and class when the hold was made.
 * A payment pays exactly these prices (L3).
 *
 * @category models
 */
export const PricedSeat = Schema.Struct({
  seatNumber: SeatNumber,
  priceKrw: PriceKrw,
  /** The seat's class, or null outside every class. */
  className: Schema.NullOr(Schema.String)
})
/** @category models */
export type PricedSeat = typeof PricedSeat.Type

/** What is left of a date now: its available seats and their price range (null when none is left). @category models */
export class SeatAvailability extends Schema.Class<SeatAvailability>("@boxoffice/core/SeatAvailability")({
  available: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  minPriceKrw: Schema.NullOr(PriceKrw),
  maxPriceKrw: Schema.NullOr(PriceKrw)
}) {}
