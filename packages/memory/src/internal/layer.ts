/**
 * Every in-memory port over one shared state. `faults` exists only so the
 * law suites can prove they catch a broken store.
 */
import { Layer } from "effect"
import * as Catalog from "../Catalog.ts"
import * as Events from "../Events.ts"
import * as IdempotencyRecords from "../IdempotencyRecords.ts"
import * as Payments from "../Payments.ts"
import * as Queue from "../Queue.ts"
import * as SeatInventory from "../SeatInventory.ts"
import * as Wallet from "../Wallet.ts"
import type { Faults } from "./MemoryState.ts"
import { MemoryStore } from "./MemoryStore.ts"

export const memoryStoresLayer = (faults: Faults = {}) =>
  Layer.mergeAll(
    Catalog.layer,
    SeatInventory.layer,
    Wallet.layer,
    Payments.layer,
    Queue.layer,
    IdempotencyRecords.layer,
    Events.layer
  ).pipe(Layer.provide(MemoryStore.layer(faults)))
