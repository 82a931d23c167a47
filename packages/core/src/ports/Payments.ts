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
  InsufficientBalance,
  NotFound,
  OutcomeUnknown,
  Unavailable
} from "../Errors.ts"
import type { HoldId, PaymentId, UserId } from "../model/Ids.ts"
import type { Payment, PaymentReceipt } from "../model/Payment.ts"
import type { IdempotencyClaim } from "./IdempotencyRecords.ts"

/** @category models */
export interface PaymentRequest {
  readonly paymentId: PaymentId
  readonly holdId: HoldId
  readonly userId: UserId
  /**
   * When set, the receipt is recorded as this claim's outcome in the same
   * atomic step, and the payment fails with `IdempotencyInFlight` if the
   * claim was taken over meanwhile.
   */
  readonly idempotency: IdempotencyClaim | null
}

/**
 * `pay` is one atomic step (L3): it checks that the hold is live, owned and
 * unpaid by the store's clock, debits the wallet by the hold's amount without
 * going below 0, makes the seats the user's, records the payment, marks the
 * hold paid and records the idempotency outcome. All of it happens or none.
 *
 * @example
 * ```ts
 * import { Payments } from "@boxoffice/core"
 * declare const request: import("@boxoffice/core").PaymentRequest
 * const receipt = Payments.use((p) => p.pay(request))
 * ```
 * @category ports
 */
export class Payments extends Context.Service<Payments, {
  readonly pay: (
    request: PaymentRequest
  ) => Effect.Effect<
    PaymentReceipt,
    NotFound | Forbidden | AlreadyPaid | HoldExpired | InsufficientBalance | IdempotencyInFlight | Unavailable | OutcomeUnknown
  >
  /** The user's payments, oldest first. */
  readonly listPayments: (userId: UserId) => Effect.Effect<ReadonlyArray<Payment>, Unavailable>
}>()("@boxoffice/core/Payments") {}
