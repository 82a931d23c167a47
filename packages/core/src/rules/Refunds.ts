/**
 * Refunds: a buyer may cancel a payment until the concert's cutoff, less the
 * organiser's fee; the host may refund any payment, in full, until its date
 * starts. The stores judge the deadline by their own clock, after their
 * locks, and never compute a fee: the engine hands them both.
 *
 * @since 0.6.0
 */
import type { SalePolicy } from "../model/Concert.ts"

/**
 * The organiser's share of a refund of `amountKrw`, at `feePercent` percent,
 * rounded down to the won: the buyer gets any fraction. Integer arithmetic
 * only: `amountKrw × feePercent` stays far below 2^53.
 *
 * @example
 * ```ts
 * import { refundFeeKrw } from "@boxoffice/core"
 * refundFeeKrw(55_000, 10) // 5_500
 * refundFeeKrw(999, 10) // 99: 99.9 rounds down
 * ```
 * @category rules
 */
export const refundFeeKrw = (amountKrw: number, feePercent: number): number =>
  Math.floor((amountKrw * feePercent) / 100)

/**
 * Until when (epoch ms, exclusive) a payment of a date starting at
 * `startsAtMs` may be refunded: by the buyer, `refundUntilHours` before the
 * start; by the host, until the start.
 *
 * @example
 * ```ts
 * import { refundDeadlineMs, SalePolicy } from "@boxoffice/core"
 * refundDeadlineMs(SalePolicy.default, 100 * 3_600_000, "user") // 76 * 3_600_000
 * ```
 * @category rules
 */
export const refundDeadlineMs = (policy: SalePolicy, startsAtMs: number, by: "user" | "host"): number =>
  by === "host" ? startsAtMs : startsAtMs - policy.refundUntilHours * 3_600_000
