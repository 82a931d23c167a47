/**
 * Wallet arithmetic: a balance never goes below 0 or above its cap.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { BalanceLimitExceeded, InsufficientBalance } from "../Errors.ts"
import { Limits } from "../model/Limits.ts"

/**
 * The balance after a charge, or a failure that leaves it unchanged.
 *
 * @example
 * ```ts
 * import { credit } from "@boxoffice/core"
 * credit(1_000, 500) // success: 1_500
 * ```
 * @category rules
 */
export const credit = (balanceKrw: number, amountKrw: number): Result.Result<number, BalanceLimitExceeded> =>
  balanceKrw + amountKrw > Limits.balanceKrwMax
    ? Result.fail(new BalanceLimitExceeded({ balanceKrw, balanceKrwMax: Limits.balanceKrwMax }))
    : Result.succeed(balanceKrw + amountKrw)

/**
 * The balance after a debit, or a failure that leaves it unchanged.
 *
 * @example
 * ```ts
 * import { debit } from "@boxoffice/core"
 * debit(1_000, 2_000) // failure: InsufficientBalance
 * ```
 * @category rules
 */
export const debit = (balanceKrw: number, amountKrw: number): Result.Result<number, InsufficientBalance> =>
  amountKrw > balanceKrw
    ? Result.fail(new InsufficientBalance({ balanceKrw, neededKrw: amountKrw }))
    : Result.succeed(balanceKrw - amountKrw)
