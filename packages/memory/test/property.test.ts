/**
 * Proves the memory adapter against the shared property suite: L1–L7 after
 * every step of arbitrary interleavings.
 */
import { MemoryStores } from "@boxoffice/memory"
import { propertySuite, StoreClock, StoreStall, suiteEpochMs } from "@boxoffice/testing"
import { Layer } from "effect"

propertySuite({
  name: "memory",
  layer: Layer.merge(StoreStall.inFrontOf(MemoryStores.layer), StoreClock.layerManual(suiteEpochMs))
})
