/**
 * Port: payment, the one operation that must never half-happen.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Option } from "effect"
import type {
  AlreadyPaid,
  AlreadyRefunded,
  BalanceLimitExceeded,
  Forbidden,
  HoldExpired,
  IdempotencyInFlight,
  IdempotencyKeyReused,
  InsufficientBalance,
  NotFound,
  OutcomeUnknown,
  QueueTokenExpired,
  RefundClosed,
  SaleClosed,
  Unavailable
} from "../Errors.ts"
import type { ConcertId, DateId, HoldId, PaymentId, QueueTokenId, RefundId, UserId } from "../model/Ids.ts"
import type { Payment, PaymentReceipt, RefundReceipt } from "../model/Payment.ts"
import type { IdempotencyClaim } from "./IdempotencyRecords.ts"

/** @category models */
export interface PaymentRequest {
  readonly paymentId: PaymentId
  readonly holdId: HoldId
  readonly userId: UserId
  /** The concert of the caller's active queue token: a hold of another concert's date is `Forbidden`. */
  readonly concertId: ConcertId
  /**
   * The id of the queue token the payment is made with. A token pays at most
   * once: the store records it with the payment, and refuses another payment
   * with it as `QueueTokenExpired`, whatever the queue store says.
   */
  readonly queueTokenId: QueueTokenId
  /**
   * When set, the same atomic step claims the key first: a key with a
   * recorded receipt answers that receipt and changes nothing, a key used
   * for another hold is `IdempotencyKeyReused`, and a key whose first
   * request is still running is `IdempotencyInFlight`. A success records its
   * receipt with its effect; a failure records nothing.
   */
  readonly idempotency: IdempotencyClaim | null
}

/**
 * What was left to sell of a payment's concert, over its dates that have not
 * started, as the payment's own step saw it right after selling: `available`,
 * some seat is available; `held`, none is, but some are under live holds
 * (whose payments may be committing as this one does); `none`, every seat is
 * sold. The engine marks the line sold out on `none`, and on `held` reads the
 * seat store once more after the commit.
 *
 * @category models
 */
export type SeatsLeft = "available" | "held" | "none"

/** @category models */
export interface RefundRequest {
  readonly refundId: RefundId
  readonly paymentId: PaymentId
  /** The buyer who cancels (another user's payment is `Forbidden`), or null when the host refunds. */
  readonly userId: UserId | null
  /** The organiser's share, kept back: `refundFeeKrw` of the payment's amount, 0 when the host refunds. */
  readonly feeKrw: number
  /** The refund is `RefundClosed` once the store's clock, read after its locks, reaches this instant (epoch ms). */
  readonly deadlineMs: number
  readonly by: "user" | "host"
  /** As for a charge: claimed in the same atomic step, a success recorded with its effect. */
  readonly idempotency: IdempotencyClaim | null
}

/** Everything `refund` may fail with. @category models */
export type RefundError =
  | NotFound
  | Forbidden
  | AlreadyRefunded
  | RefundClosed
  | BalanceLimitExceeded
  | IdempotencyInFlight
  | IdempotencyKeyReused
  | Unavailable
  | OutcomeUnknown

/** Everything `pay` may fail with. @category models */
export type PaymentError =
  | NotFound
  | Forbidden
  | SaleClosed
  | AlreadyPaid
  | HoldExpired
  | InsufficientBalance
  | QueueTokenExpired
  | IdempotencyInFlight
  | IdempotencyKeyReused
  | Unavailable
  | OutcomeUnknown

/**
 * `pay` is one atomic step (L3): after the idempotency key (a replay answers
 * the first receipt, L7), it checks that no payment was made with the queue
 * token yet (else `QueueTokenExpired`), that the hold is live, owned, unpaid
 * and of the token's concert, and that its date has not started, by the
 * store's clock; it debits the wallet by the hold's amount, which must fit
 * in the balance less the user's other live reservations (a reserving hold
 * pays out of its own reservation), makes the seats the user's, records the payment with its queue
 * token, marks the hold paid and records the idempotency outcome. All of it
 * happens or none. Of concurrent payments with one token, at most one
 * succeeds.
 *
 * @example
 * ```ts
 * import { Payments } from "@boxoffice/core"
 * declare const request: import("@boxoffice/core").PaymentRequest
 * const receipt = Payments.use((p) => p.pay(request))
 * ```
 * @category ports
 */
export class Payments extends Context.Service<
  Payments,
  {
    readonly pay: (
      request: PaymentRequest
    ) => Effect.Effect<
      PaymentReceipt,
      | NotFound
      | Forbidden
      | SaleClosed
      | AlreadyPaid
      | HoldExpired
      | InsufficientBalance
      | QueueTokenExpired
      | IdempotencyInFlight
      | IdempotencyKeyReused
      | Unavailable
      | OutcomeUnknown
    >
    /**
     * Optional: `pay`, answering with the receipt what was left of the
     * concert's seats as the same step saw them after selling (`null` for a
     * receipt replayed under its key), so that the engine learns that a
     * payment sold the last seat without another call to the store. Without
     * it the engine reads `SeatInventory.seatCounts` after each payment.
     */
    readonly payReportingSeatsLeft?: (
      request: PaymentRequest
    ) => Effect.Effect<{ readonly receipt: PaymentReceipt; readonly seatsLeft: SeatsLeft | null }, PaymentError>
    /** The user's payments, oldest first, each with its refund if it has one. */
    readonly listPayments: (userId: UserId) => Effect.Effect<ReadonlyArray<Payment>, Unavailable>
    /** One payment with its refund, if it exists. */
    readonly findPayment: (paymentId: PaymentId) => Effect.Effect<Option.Option<Payment>, Unavailable>
    /**
     * Refunds a payment in one atomic step (L2, L3): the key's claim first,
     * then, by the clock read after the locks, refuses a refunded payment
     * (`AlreadyRefunded`), one past `deadlineMs` (`RefundClosed`) or a
     * credit past the balance cap; otherwise credits the wallet the amount
     * less `feeKrw`, records the refund beside the payment (which stays),
     * and makes its seats available at once. Of concurrent refunds of one
     * payment, exactly one succeeds.
     */
    readonly refund: (request: RefundRequest) => Effect.Effect<RefundReceipt, RefundError>
    /**
     * Up to `limit` payments of the date that have no refund, oldest first,
     * and how many such payments the date has in all.
     */
    readonly unrefundedPayments: (
      dateId: DateId,
      limit: number
    ) => Effect.Effect<{ readonly payments: ReadonlyArray<Payment>; readonly total: number }, Unavailable>
  }
>()("@boxoffice/core/Payments") {}
