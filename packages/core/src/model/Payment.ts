/**
 * A payment: the wallet debit that turned one hold into a sale.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { DateId, HoldId, PaymentId, UserId } from "./Ids.ts"
import { Krw } from "./Money.ts"
import { PricedSeat } from "./Seat.ts"
import { SeatNumbers } from "./SeatNumber.ts"

/** @category models */
export class Payment extends Schema.Class<Payment>("@boxoffice/core/Payment")({
  paymentId: PaymentId,
  userId: UserId,
  holdId: HoldId,
  dateId: DateId,
  amountKrw: Krw,
  seatNumbers: SeatNumbers,
  /** Each seat paid, with the price and class its hold fixed: `amountKrw` is their sum (L3). */
  seats: Schema.Array(PricedSeat),
  paidAt: Schema.DateTimeUtc
}) {}

/** The answer to a payment: the payment and the balance left after it. @category models */
export class PaymentReceipt extends Schema.Class<PaymentReceipt>("@boxoffice/core/PaymentReceipt")({
  paymentId: PaymentId,
  holdId: HoldId,
  dateId: DateId,
  amountKrw: Krw,
  seatNumbers: SeatNumbers,
  /** Each seat paid, with the price and class its hold fixed: `amountKrw` is their sum (L3). */
  seats: Schema.Array(PricedSeat),
  balanceKrw: Krw,
  paidAt: Schema.DateTimeUtc
}) {}
