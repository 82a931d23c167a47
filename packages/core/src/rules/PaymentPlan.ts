/**
 * What a hold costs. The engine computes it from the catalog's prices; a
 * client never names an amount (L3).
 *
 * @since 0.1.0
 */

/**
 * The amount of a hold: the sum of its seats' prices. Every seat of a date
 * has the date's price.
 *
 * @example
 * ```ts
 * import { holdAmountKrw } from "@boxoffice/core"
 * holdAmountKrw(55_000, [3, 4]) // 110_000
 * ```
 * @category rules
 */
export const holdAmountKrw = (priceKrw: number, seatNumbers: ReadonlyArray<number>): number =>
  seatNumbers.reduce((sum) => sum + priceKrw, 0)
