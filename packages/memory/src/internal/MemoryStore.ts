/**
 * The service that hands every in-memory port the same state, plus the one
 * helper they all use to run an operation atomically.
 */
import { Clock, Context, Effect, Layer, Option, Result } from "effect"
import {
  type ChargeReceipt,
  type IdempotencyClaim,
  IdempotencyKeyReused,
  type IdempotentOutcome,
  type PaymentReceipt,
  type RefundReceipt
} from "@boxoffice/core"
import { type Faults, idempotencyKeyOf, makeMemoryState, type MemoryState } from "./MemoryState.ts"

export class MemoryStore extends Context.Service<MemoryStore, MemoryState>()("@boxoffice/memory/MemoryStore") {
  static readonly layer = (faults: Faults = {}): Layer.Layer<MemoryStore> =>
    Layer.sync(MemoryStore, () => makeMemoryState(faults))
}

/**
 * Runs `step` with the store's clock in one synchronous block: no other
 * fiber can run between its read and its writes.
 */
export const atomically = <R extends Result.Result<unknown, unknown>>(
  step: (nowMs: number) => R
): Effect.Effect<Result.Result.Success<R>, Result.Result.Failure<R>> =>
  Clock.clockWith((clock) =>
    Effect.suspend(() =>
      Effect.fromResult(
        step(clock.currentTimeMillisUnsafe()) as Result.Result<Result.Result.Success<R>, Result.Result.Failure<R>>
      )
    )
  )

/**
 * The first part of a keyed step: `None` to run, the recorded outcome to
 * answer again, or `IdempotencyKeyReused` for a key used with another body.
 * The step is atomic, so no other request with the key runs meanwhile.
 */
export const claimKey = (
  state: MemoryState,
  claim: IdempotencyClaim | null
): Result.Result<Option.Option<IdempotentOutcome>, IdempotencyKeyReused> => {
  if (claim === null) return Result.succeed(Option.none())
  const record = state.idempotency.get(idempotencyKeyOf(claim.userId, claim.key))
  if (record === undefined) return Result.succeed(Option.none())
  if (record.fingerprint !== claim.fingerprint) return Result.fail(new IdempotencyKeyReused())
  return Result.succeed(Option.some(record.outcome))
}

/** Records the outcome of a success, in the step that had {@link claimKey} answer `None`. */
export const recordOutcome = (
  state: MemoryState,
  claim: IdempotencyClaim | null,
  outcome: IdempotentOutcome,
  nowMs: number
): void => {
  if (claim === null) return
  state.idempotency.set(idempotencyKeyOf(claim.userId, claim.key), {
    createdAtMs: nowMs,
    fingerprint: claim.fingerprint,
    outcome
  })
}

interface ReceiptOf {
  readonly Charged: ChargeReceipt
  readonly Paid: PaymentReceipt
  readonly Refunded: RefundReceipt
}

/** The receipt of a recorded outcome; the fingerprint names the operation, so another kind is a defect. */
export const receiptOf = <T extends keyof ReceiptOf>(outcome: IdempotentOutcome, tag: T): ReceiptOf[T] => {
  if (outcome._tag !== tag) throw new Error(`idempotency record holds a ${outcome._tag} outcome, not ${tag}`)
  return outcome.receipt as ReceiptOf[T]
}
