/** The answers of a keyed write that did not run: the claim of its key refused it or replays it. */
import {
  type ChargeReceipt,
  IdempotencyInFlight,
  IdempotencyKeyReused,
  IdempotentOutcome,
  type PaymentReceipt,
  type RefundReceipt
} from "@boxoffice/core"
import { Effect, Predicate, Schema } from "effect"

const decodeRecorded = Schema.decodeUnknownSync(Schema.toCodecJson(IdempotentOutcome))

/**
 * A receipt recorded before migration 0008 lists no `seats`: every seat of
 * its date cost the date's price then, so each cost the amount's equal share,
 * and none had a class.
 */
const withSeats = (recorded: unknown): unknown => {
  if (!Predicate.isObject(recorded) || recorded["_tag"] !== "Paid") return recorded
  const receipt = recorded["receipt"]
  if (!Predicate.isObject(receipt) || receipt["seats"] !== undefined) return recorded
  const seatNumbers = receipt["seatNumbers"]
  const amountKrw = receipt["amountKrw"]
  if (!Array.isArray(seatNumbers) || seatNumbers.length === 0 || !Predicate.isNumber(amountKrw)) return recorded
  const priceKrw = amountKrw / seatNumbers.length
  const seats = seatNumbers.map((seatNumber: unknown) => ({ seatNumber, priceKrw, className: null }))
  return { ...recorded, receipt: { ...receipt, seats } }
}

/** Decodes what `boxoffice_charge`, `boxoffice_pay` and `boxoffice_refund` recorded. */
export const decodeOutcome = (recorded: unknown) => decodeRecorded(withSeats(recorded))

/** What `boxoffice_idempotency_claim` answers when the write must not run. */
export type KeyedOutcome = "replay" | "in-flight" | "key-reused"

interface ReceiptOf {
  readonly Charged: ChargeReceipt
  readonly Paid: PaymentReceipt
  readonly Refunded: RefundReceipt
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
