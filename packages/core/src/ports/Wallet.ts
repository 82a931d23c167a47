/**
 * Port: the prepaid wallet.
 *
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
import type {
  BalanceLimitExceeded,
  IdempotencyInFlight,
  IdempotencyKeyReused,
  OutcomeUnknown,
  Unavailable
} from "../Errors.ts"
import type { ChargeId, UserId } from "../model/Ids.ts"
import type { ChargeReceipt, LedgerEntry, WalletFunds } from "../model/Wallet.ts"
import type { IdempotencyClaim } from "./IdempotencyRecords.ts"

/** @category models */
export interface ChargeRequest {
  readonly chargeId: ChargeId
  readonly userId: UserId
  readonly amountKrw: number
  /**
   * When set, the same atomic step claims the key: a key with a recorded
   * receipt answers that receipt and charges nothing, a key used with
   * another amount is `IdempotencyKeyReused`, and a key whose first request
   * is still running is `IdempotencyInFlight`. A success records its receipt
   * with its effect; a failure records nothing.
   */
  readonly idempotency: IdempotencyClaim | null
}

/**
 * An append-only ledger per user. The balance always equals the sum of the
 * ledger and never leaves 0..balanceKrwMax, and what is available (the
 * balance less the user's live reserving holds) never goes below 0 (L2).
 * Concurrent charges never fail because of each other.
 *
 * @example
 * ```ts
 * import { Wallet } from "@boxoffice/core"
 * declare const userId: import("@boxoffice/core").UserId
 * const balance = Wallet.use((w) => w.balance(userId))
 * ```
 * @category ports
 */
export class Wallet extends Context.Service<
  Wallet,
  {
    readonly charge: (
      request: ChargeRequest
    ) => Effect.Effect<
      ChargeReceipt,
      BalanceLimitExceeded | IdempotencyInFlight | IdempotencyKeyReused | Unavailable | OutcomeUnknown
    >
    readonly balance: (userId: UserId) => Effect.Effect<number, Unavailable>
    /**
     * The balance and what is available of it now: the balance less the
     * amounts of the user's live reserving holds, judged by the store's clock
     * (L4), both read in one step.
     */
    readonly funds: (userId: UserId) => Effect.Effect<WalletFunds, Unavailable>
    /** The user's ledger, oldest first. */
    readonly ledger: (userId: UserId) => Effect.Effect<ReadonlyArray<LedgerEntry>, Unavailable>
  }
>()("@boxoffice/core/Wallet") {}
