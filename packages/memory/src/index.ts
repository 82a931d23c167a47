/**
 * @boxoffice/memory: every port of `@boxoffice/core` in memory. The
 * embedded default, and the reference semantics the other adapters match.
 *
 * @since 0.1.0
 * @packageDocumentation
 * @module @boxoffice/memory
 */
import { Layer } from "effect"
import * as Catalog from "./Catalog.ts"
import * as Events from "./Events.ts"
import * as IdempotencyRecords from "./IdempotencyRecords.ts"
import { memoryStoresLayer } from "./internal/layer.ts"
import { MemoryStore } from "./internal/MemoryStore.ts"
import * as Payments from "./Payments.ts"
import * as Queue from "./Queue.ts"
import * as SeatInventory from "./SeatInventory.ts"
import * as Wallet from "./Wallet.ts"

export { Catalog, Events, IdempotencyRecords, Payments, Queue, SeatInventory, Wallet }
export { MemoryRateLimitCounters } from "./RateLimitCounters.ts"

/**
 * Every store port in memory, sharing one state. Time comes from Effect's
 * `Clock`, so tests drive it with `TestClock`.
 *
 * @example
 * ```ts
 * import { Booking, QueueTokenSigner } from "@boxoffice/core"
 * import { MemoryStores } from "@boxoffice/memory"
 * import { Layer, Redacted } from "effect"
 * const BookingLive = Booking.layer.pipe(
 *   Layer.provide(MemoryStores.layer),
 *   Layer.provide(QueueTokenSigner.layerHmac(Redacted.make("a random secret of at least 32 bytes")))
 * )
 * ```
 * @category layers
 */
export const MemoryStores = {
  layer: memoryStoresLayer(),
  /** Every store port but the queue, for a queue that lives elsewhere (Redis). */
  layerWithoutQueue: Layer.mergeAll(
    Catalog.layer,
    SeatInventory.layer,
    Wallet.layer,
    Payments.layer,
    IdempotencyRecords.layer,
    Events.layer
  ).pipe(Layer.provide(MemoryStore.layer()))
}

/**
 * The queue alone in memory, for a single instance whose other stores are
 * elsewhere (Postgres without Redis).
 *
 * @example
 * ```ts
 * import { MemoryQueue } from "@boxoffice/memory"
 * const queue = MemoryQueue.layer
 * ```
 * @category layers
 */
export const MemoryQueue = {
  layer: Queue.layer.pipe(Layer.provide(MemoryStore.layer()))
}
