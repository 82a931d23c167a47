/**
 * Port: records that make a repeated request have its effect once (L7).
 *
 * @since 0.1.0
 */
import { Context, type Effect, Schema } from "effect"
import type { IdempotencyInFlight, IdempotencyKeyReused, Unavailable } from "../Errors.ts"
import { UserId } from "../model/Ids.ts"
import { Limits } from "../model/Limits.ts"
import { PaymentReceipt } from "../model/Payment.ts"
import { ChargeReceipt } from "../model/Wallet.ts"

/** An `Idempotency-Key` header value. @category models */
export const IdempotencyKey = Schema.String.check(Schema.isBetweenLength(1, Limits.idempotencyKeyLengthMax))
/** @category models */
export type IdempotencyKey = typeof IdempotencyKey.Type

/**
 * One use of a key: keys are scoped per user, and `fingerprint` names the
 * operation and its body, so the same key with another body is caught.
 * `attemptId` is this attempt's own: an operation records its outcome only
 * while the key is still claimed by its attempt, so an attempt whose lease
 * was taken over can never add a second effect.
 *
 * @category models
 */
export class IdempotencyClaim extends Schema.Class<IdempotencyClaim>("@boxoffice/core/IdempotencyClaim")({
  userId: UserId,
  key: IdempotencyKey,
  fingerprint: Schema.String,
  attemptId: Schema.String
}) {}

/**
 * The first successful answer, kept to be given again. Failures are not
 * kept: they changed nothing, so the key is freed and a retry runs anew.
 *
 * @category models
 */
export const IdempotentOutcome = Schema.Union([
  Schema.TaggedStruct("Charged", { receipt: ChargeReceipt }),
  Schema.TaggedStruct("Paid", { receipt: PaymentReceipt })
])
/** @category models */
export type IdempotentOutcome = typeof IdempotentOutcome.Type

/** What `begin` found. @category models */
export type IdempotencyStart =
  | { readonly _tag: "Started" }
  | { readonly _tag: "Replay"; readonly outcome: IdempotentOutcome }

/**
 * The lifecycle of a key: `begin` claims it; then either the operation's own
 * atomic write records the success (see `Wallet.charge` and `Payments.pay`),
 * or `abandon` frees the key after a failure, which changed nothing. A claim
 * whose owner died is taken over after `idempotencyLeaseSeconds`.
 *
 * @example
 * ```ts
 * import { IdempotencyRecords } from "@boxoffice/core"
 * declare const claim: import("@boxoffice/core").IdempotencyClaim
 * const start = IdempotencyRecords.use((r) => r.begin(claim))
 * ```
 * @category ports
 */
export class IdempotencyRecords extends Context.Service<IdempotencyRecords, {
  /** Claims the key, or finds the first answer, or fails: in flight (409) or another body (422). */
  readonly begin: (
    claim: IdempotencyClaim
  ) => Effect.Effect<IdempotencyStart, IdempotencyInFlight | IdempotencyKeyReused | Unavailable>
  /** Frees the key if this attempt still holds it and recorded nothing. */
  readonly abandon: (claim: IdempotencyClaim) => Effect.Effect<void, Unavailable>
}>()("@boxoffice/core/IdempotencyRecords") {}
