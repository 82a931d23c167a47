/**
 * What an adapter hands the suites to be proven against the laws.
 *
 * @since 0.1.0
 */
import type { Catalog, Events, IdempotencyRecords, Payments, Queue, SeatInventory, Wallet } from "@boxoffice/core"
import type { Layer } from "effect"
import type { StoreClock } from "./StoreClock.ts"
import type { StoreStall } from "./StoreStall.ts"

/** Every store port of `@boxoffice/core`. @category models */
export type StorePorts = Catalog | SeatInventory | Wallet | Payments | Queue | IdempotencyRecords | Events

/**
 * An adapter set under test. `layer` must give fresh, empty stores each time
 * it is built (the suites build it once per test and once per generated
 * case), the {@link StoreClock} those stores judge time by, and the
 * {@link StoreStall} that makes their writes wait on a lock (an atomic store
 * uses `StoreStall.layerInFront`).
 *
 * @example
 * ```ts
 * import { MemoryStores } from "@boxoffice/memory"
 * import { type AdapterUnderTest, StoreClock, StoreStall } from "@boxoffice/testing"
 * import { Layer } from "effect"
 * const memory: AdapterUnderTest = {
 *   name: "memory",
 *   layer: Layer.merge(
 *     StoreStall.layerInFront.pipe(Layer.provide(MemoryStores.layer)),
 *     StoreClock.layerManual(Date.UTC(2026, 0, 1))
 *   )
 * }
 * ```
 * @category models
 */
export interface AdapterUnderTest {
  readonly name: string
  readonly layer: Layer.Layer<StorePorts | StoreClock | StoreStall, unknown>
}
