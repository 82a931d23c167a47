/**
 * Money is an integer number of KRW. These schemas carry the limits of
 * the spec (docs/spec.md), so a value of these types is always in range.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Limits } from "./Limits.ts"

/** Any non-negative amount up to the balance cap: balances, prices, totals. @category models */
export const Krw = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Limits.balanceKrwMax }))
/** @category models */
export type Krw = typeof Krw.Type

/** The amount of one charge: 1..10,000,000 KRW. @category models */
export const ChargeAmountKrw = Schema.Int.check(
  Schema.isBetween({ minimum: Limits.chargeKrwMin, maximum: Limits.chargeKrwMax })
)
/** @category models */
export type ChargeAmountKrw = typeof ChargeAmountKrw.Type

/** The price of one seat. @category models */
export const PriceKrw = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Limits.priceKrwMax }))
/** @category models */
export type PriceKrw = typeof PriceKrw.Type
