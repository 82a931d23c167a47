/**
 * A payment: the wallet debit that turned one hold into a sale.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { DateId, HoldId, PaymentId, RefundId, UserId } from "./Ids.ts"
import { Krw } from "./Money.ts"
import { PricedSeat } from "./Seat.ts"
import { SeatNumbers } from "./SeatNumber.ts"

/**
 * A payment's refund: `amountKrw` went back to the wallet, and the organiser
 * kept `feeKrw` (none when the host refunds); together they are the
 * payment's amount.
 *
 * @category models
 */
export class Refund extends Schema.Class<Refund>("@boxoffice/core/Refund")({
  refundId: RefundId,
  amountKrw: Krw,
  feeKrw: Krw,
  /** Who refunded: the buyer, who cancelled, or the host (a cancelled show). */
  by: Schema.Literals(["user", "host"]),
  refundedAt: Schema.DateTimeUtc
}) {}

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
  paidAt: Schema.DateTimeUtc,
  /** The payment's refund; null while it stands. A refunded payment's seats are sold to nobody by it. */
  refund: Schema.NullOr(Refund).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(null)),
    Schema.withConstructorDefault(Effect.succeed(null))
  )
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

/** The answer to a refund: what went back to the wallet, the fee kept, and the balance after. @category models */
export class RefundReceipt extends Schema.Class<RefundReceipt>("@boxoffice/core/RefundReceipt")({
  refundId: RefundId,
  paymentId: PaymentId,
  amountKrw: Krw,
  feeKrw: Krw,
  balanceKrw: Krw,
  refundedAt: Schema.DateTimeUtc
}) {}
