/**
 * Port: payment, the one operation that must never half-happen.
 *
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
import type {
  AlreadyPaid,
  Forbidden,
  HoldExpired,
  IdempotencyInFlight,
  IdempotencyKeyReused,
  InsufficientBalance,
  NotFound,
  OutcomeUnknown,
  QueueTokenExpired,
  SaleClosed,
  Unavailable
} from "../Errors.ts"
import type { ConcertId, HoldId, PaymentId, QueueTokenId, UserId } from "../model/Ids.ts"
import type { Payment, PaymentReceipt } from "../model/Payment.ts"
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
    /** The user's payments, oldest first. */
    readonly listPayments: (userId: UserId) => Effect.Effect<ReadonlyArray<Payment>, Unavailable>
  }
>()("@boxoffice/core/Payments") {}
