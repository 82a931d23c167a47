/**
 * Branded identifiers. Every id is a lower-case UUID string (input in any
 * case is lowered on decode, so one id never names two things); the brand
 * stops a hold id from being passed where a date id is expected.
 *
 * @since 0.1.0
 */
import { Effect, Schema, SchemaTransformation } from "effect"

/** A UUID in its canonical lower-case form: an id in upper case decodes to the same id. */
const Uuid = Schema.String.pipe(Schema.decode(SchemaTransformation.toLowerCase())).check(Schema.isUUID())

/** @category ids */
export const UserId = Uuid.pipe(Schema.brand("UserId"))
/** @category ids */
export type UserId = typeof UserId.Type
/** @category ids */
export const ConcertId = Uuid.pipe(Schema.brand("ConcertId"))
/** @category ids */
export type ConcertId = typeof ConcertId.Type
/** @category ids */
export const DateId = Uuid.pipe(Schema.brand("DateId"))
/** @category ids */
export type DateId = typeof DateId.Type
/** @category ids */
export const HoldId = Uuid.pipe(Schema.brand("HoldId"))
/** @category ids */
export type HoldId = typeof HoldId.Type
/** @category ids */
export const PaymentId = Uuid.pipe(Schema.brand("PaymentId"))
/** @category ids */
export type PaymentId = typeof PaymentId.Type
/** @category ids */
export const RefundId = Uuid.pipe(Schema.brand("RefundId"))
/** @category ids */
export type RefundId = typeof RefundId.Type
/** @category ids */
export const ChargeId = Uuid.pipe(Schema.brand("ChargeId"))
/** @category ids */
export type ChargeId = typeof ChargeId.Type
/** @category ids */
export const QueueTokenId = Uuid.pipe(Schema.brand("QueueTokenId"))
/** @category ids */
export type QueueTokenId = typeof QueueTokenId.Type

/**
 * A fresh random UUID (v4), from the Web Crypto API that every runtime has.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { newId, HoldId } from "@boxoffice/core"
 * const holdId = Effect.runSync(newId(HoldId))
 * ```
 * @category constructors
 */
export const newId = <S extends { readonly Type: string }>(_brand: S): Effect.Effect<S["Type"]> =>
  Effect.sync(() => globalThis.crypto.randomUUID() as S["Type"])
