/** The answers of a keyed write that did not run: the claim of its key refused it or replays it. */
import {
  type ChargeReceipt,
  IdempotencyInFlight,
  IdempotencyKeyReused,
  IdempotentOutcome,
  type PaymentReceipt
} from "@boxoffice/core"
import { Effect, Schema } from "effect"

/** Decodes what `boxoffice_charge` and `boxoffice_pay` recorded. */
export const decodeOutcome = Schema.decodeUnknownSync(Schema.toCodecJson(IdempotentOutcome))

/** What `boxoffice_idempotency_claim` answers when the write must not run. */
export type KeyedOutcome = "replay" | "in-flight" | "key-reused"

interface ReceiptOf {
  readonly Charged: ChargeReceipt
  readonly Paid: PaymentReceipt
}

/**
 * The recorded receipt of a replay, or the refusal. The fingerprint names
 * the operation, so a recorded outcome of another kind is a defect.
 */
export const keyedAnswer = <T extends keyof ReceiptOf>(
  outcome: KeyedOutcome,
  recorded: unknown,
  tag: T
): Effect.Effect<ReceiptOf[T], IdempotencyInFlight | IdempotencyKeyReused> => {
  switch (outcome) {
    case "in-flight":
      return Effect.fail(new IdempotencyInFlight())
    case "key-reused":
      return Effect.fail(new IdempotencyKeyReused())
    case "replay": {
      const decoded = decodeOutcome(recorded)
      return decoded._tag === tag
        ? Effect.succeed(decoded.receipt as ReceiptOf[T])
        : Effect.die(new Error(`idempotency record holds a ${decoded._tag} outcome, not ${tag}`))
    }
  }
}
