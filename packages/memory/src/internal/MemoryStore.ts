/**
 * The service that hands every in-memory port the same state, plus the one
 * helper they all use to run an operation atomically.
 */
import { Clock, Context, Effect, Layer, Result } from "effect"
import { IdempotencyInFlight, type IdempotencyClaim, type IdempotentOutcome } from "@boxoffice/core"
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

/** Whether `claim` may still record its outcome: its attempt holds the key and nothing was recorded. */
export const claimIsCurrent = (state: MemoryState, claim: IdempotencyClaim | null): Result.Result<void, IdempotencyInFlight> => {
  if (claim === null) return Result.succeed(undefined)
  const record = state.idempotency.get(idempotencyKeyOf(claim.userId, claim.key))
  return record !== undefined && record.outcome === null && record.attemptId === claim.attemptId
    ? Result.succeed(undefined)
    : Result.fail(new IdempotencyInFlight())
}

/** Records the outcome of a claim checked with {@link claimIsCurrent} in the same step. */
export const recordOutcome = (state: MemoryState, claim: IdempotencyClaim | null, outcome: IdempotentOutcome): void => {
  if (claim === null) return
  const record = state.idempotency.get(idempotencyKeyOf(claim.userId, claim.key))
  if (record !== undefined) record.outcome = outcome
}
