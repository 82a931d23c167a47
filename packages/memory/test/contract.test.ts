/**
 * Proves the memory adapter against the shared contract suite.
 */
import { MemoryStores } from "@boxoffice/memory"
import { contractSuite, StoreClock, StoreStall, suiteEpochMs } from "@boxoffice/testing"
import { Layer } from "effect"

contractSuite({
  name: "memory",
  layer: Layer.merge(StoreStall.inFrontOf(MemoryStores.layer), StoreClock.layerManual(suiteEpochMs))
})
