/**
 * Wallet arithmetic: a balance never goes below 0 or above its cap, and
 * what is available (the balance less live reservations) never below 0.
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

/**
 * What a wallet can still spend or reserve: its balance less the amounts of
 * the user's live reserving holds (holds of a concert with `holdNeedsFunds`
 * that are neither expired, released nor paid, L4). L2 keeps it ≥ 0.
 *
 * @example
 * ```ts
 * import { availableKrw } from "@boxoffice/core"
 * availableKrw(5_000, [1_000, 1_500]) // 2_500
 * ```
 * @category rules
 */
export const availableKrw = (balanceKrw: number, reservationsKrw: ReadonlyArray<number>): number => {
  let available = balanceKrw
  for (const amountKrw of reservationsKrw) available -= amountKrw
  return available
}

/**
 * A new reservation of `amountKrw` out of what is available: what is left
 * available after it, or `InsufficientBalance` (naming what was available)
 * that reserves nothing.
 *
 * @example
 * ```ts
 * import { reserve } from "@boxoffice/core"
 * reserve(2_500, 3_000) // failure: InsufficientBalance
 * ```
 * @category rules
 */
export const reserve = (availableKrw: number, amountKrw: number): Result.Result<number, InsufficientBalance> =>
  debit(availableKrw, amountKrw)

/**
 * A payment of `amountKrw`: the balance after it, or `InsufficientBalance`
 * (naming what was available for it) that leaves everything unchanged. It
 * may spend only what the user's other live reservations leave: a hold that
 * reserves pays out of its own reservation, one that does not reserves
 * nothing and must fit in what is available, so available stays ≥ 0 (L2).
 *
 * @example
 * ```ts
 * import { debitAvailable } from "@boxoffice/core"
 * debitAvailable(5_000, [4_000], 2_000) // failure: 1_000 available, 2_000 needed
 * debitAvailable(5_000, [], 2_000) // success: 3_000
 * ```
 * @category rules
 */
export const debitAvailable = (
  balanceKrw: number,
  otherReservationsKrw: ReadonlyArray<number>,
  amountKrw: number
): Result.Result<number, InsufficientBalance> =>
  Result.map(reserve(availableKrw(balanceKrw, otherReservationsKrw), amountKrw), () => balanceKrw - amountKrw)
