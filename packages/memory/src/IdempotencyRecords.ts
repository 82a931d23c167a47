/**
 * In-memory `IdempotencyRecords`: reads the records that the keyed charge
 * and payment steps write.
 *
 * @since 0.1.0
 */
import { IdempotencyRecords } from "@boxoffice/core"
import { Effect, Layer } from "effect"
import { claimKey, MemoryStore } from "./internal/MemoryStore.ts"

/** @category layers */
export const layer: Layer.Layer<IdempotencyRecords, never, MemoryStore> = Layer.effect(
  IdempotencyRecords,
  MemoryStore.useSync((state) =>
    IdempotencyRecords.of({
      replay: (claim) => Effect.suspend(() => Effect.fromResult(claimKey(state, claim)))
    })
  )
)
