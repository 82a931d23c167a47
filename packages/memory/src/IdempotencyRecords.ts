/**
 * In-memory `IdempotencyRecords`.
 *
 * @since 0.1.0
 */
import {
  IdempotencyInFlight,
  IdempotencyKeyReused,
  IdempotencyRecords,
  type IdempotencyStart,
  Limits
} from "@boxoffice/core"
import { Effect, Layer, Result } from "effect"
import { idempotencyKeyOf, tidy } from "./internal/MemoryState.ts"
import { atomically, MemoryStore } from "./internal/MemoryStore.ts"

const started: IdempotencyStart = { _tag: "Started" }

/** @category layers */
export const layer: Layer.Layer<IdempotencyRecords, never, MemoryStore> = Layer.effect(
  IdempotencyRecords,
  MemoryStore.useSync((state) =>
    IdempotencyRecords.of({
      begin: (claim) =>
        atomically((nowMs) => {
          tidy(state, nowMs)
          const key = idempotencyKeyOf(claim.userId, claim.key)
          const leaseUntilMs = nowMs + Limits.idempotencyLeaseSeconds * 1000
          const record = state.idempotency.get(key)
          if (record === undefined) {
            state.idempotency.set(key, {
              createdAtMs: nowMs,
              fingerprint: claim.fingerprint,
              attemptId: claim.attemptId,
              leaseUntilMs,
              outcome: null
            })
            return Result.succeed(started)
          }
          if (record.fingerprint !== claim.fingerprint) return Result.fail(new IdempotencyKeyReused())
          if (record.outcome !== null) return Result.succeed({ _tag: "Replay", outcome: record.outcome } as const)
          if (record.leaseUntilMs > nowMs) return Result.fail(new IdempotencyInFlight())
          // The first attempt's owner died: take the key over.
          record.attemptId = claim.attemptId
          record.leaseUntilMs = leaseUntilMs
          return Result.succeed(started)
        }),
      abandon: (claim) =>
        Effect.sync(() => {
          const key = idempotencyKeyOf(claim.userId, claim.key)
          const record = state.idempotency.get(key)
          if (record !== undefined && record.outcome === null && record.attemptId === claim.attemptId) {
            state.idempotency.delete(key)
          }
        })
    }))
)
