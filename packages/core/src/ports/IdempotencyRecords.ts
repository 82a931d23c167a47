/**
 * Port: records that make a repeated request have its effect once (L7).
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Option, Schema } from "effect"
import type { IdempotencyKeyReused, Unavailable } from "../Errors.ts"
import { UserId } from "../model/Ids.ts"
import { Limits } from "../model/Limits.ts"
import { PaymentReceipt, RefundReceipt } from "../model/Payment.ts"
import { ChargeReceipt } from "../model/Wallet.ts"

/** An `Idempotency-Key` header value. @category models */
export const IdempotencyKey = Schema.String.check(Schema.isBetweenLength(1, Limits.idempotencyKeyLengthMax))
/** @category models */
export type IdempotencyKey = typeof IdempotencyKey.Type

/**
 * One use of a key: keys are scoped per user, and `fingerprint` names the
 * operation and its body, so the same key with another body is caught.
 *
 * @category models
 */
export class IdempotencyClaim extends Schema.Class<IdempotencyClaim>("@boxoffice/core/IdempotencyClaim")({
  userId: UserId,
  key: IdempotencyKey,
  fingerprint: Schema.String
}) {}

/**
 * The first successful answer, kept to be given again. Failures are not
 * kept: they changed nothing, so a retry with the key runs anew.
 *
 * @category models
 */
export const IdempotentOutcome = Schema.Union([
  Schema.TaggedStruct("Charged", { receipt: ChargeReceipt }),
  Schema.TaggedStruct("Paid", { receipt: PaymentReceipt }),
  Schema.TaggedStruct("Refunded", { receipt: RefundReceipt })
])
/** @category models */
export type IdempotentOutcome = typeof IdempotentOutcome.Type

/**
 * The recorded answers of keys (L7). A keyed write claims its key itself,
 * in the same atomic step as its effect (see `Wallet.charge` and
 * `Payments.pay`): a key is never claimed apart from the write, so a crash
 * can leave no claim behind. This port only reads: it serves a retry that
 * is refused before it reaches its write, such as a payment whose first
 * success ended the queue token it needs.
 *
 * @example
 * ```ts
 * import { IdempotencyRecords } from "@boxoffice/core"
 * declare const claim: import("@boxoffice/core").IdempotencyClaim
 * const recorded = IdempotencyRecords.use((r) => r.replay(claim))
 * ```
 * @category ports
 */
export class IdempotencyRecords extends Context.Service<
  IdempotencyRecords,
  {
    /** The key's recorded answer, none if it has none, or `IdempotencyKeyReused` if it was used with another body. */
    readonly replay: (
      claim: IdempotencyClaim
    ) => Effect.Effect<Option.Option<IdempotentOutcome>, IdempotencyKeyReused | Unavailable>
  }
>()("@boxoffice/core/IdempotencyRecords") {}
