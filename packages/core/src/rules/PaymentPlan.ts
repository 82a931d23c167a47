/**
 * What a hold costs. The engine and the stores compute it from the
 * catalog's prices; a client never names an amount (L3).
 *
 * @since 0.1.0
 */

/**
 * The amount of a hold whose seats all cost `priceKrw`: a date without
 * seat classes.
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

/**
 * The amount of a hold: the sum of its seats' own prices, as the hold fixed
 * them (`priceSeats`). A payment's amount is this sum (L3).
 *
 * @example
 * ```ts
 * import { seatsAmountKrw } from "@boxoffice/core"
 * seatsAmountKrw([{ priceKrw: 150_000 }, { priceKrw: 50_000 }]) // 200_000
 * ```
 * @category rules
 */
export const seatsAmountKrw = (seats: ReadonlyArray<{ readonly priceKrw: number }>): number =>
  seats.reduce((sum, seat) => sum + seat.priceKrw, 0)
