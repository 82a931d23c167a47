/**
 * Proves the memory adapter against the shared model-based suite.
 */
import { MemoryStores } from "@boxoffice/memory"
import { modelSuite, StoreClock, StoreStall, suiteEpochMs } from "@boxoffice/testing"
import { Layer } from "effect"

modelSuite({
  name: "memory",
  layer: Layer.merge(StoreStall.inFrontOf(MemoryStores.layer), StoreClock.layerManual(suiteEpochMs))
})
