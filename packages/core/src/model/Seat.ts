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

/** @category models */
export class Seat extends Schema.Class<Seat>("@boxoffice/core/Seat")({
  seatNumber: SeatNumber,
  priceKrw: PriceKrw,
  status: SeatStatus
}) {}
