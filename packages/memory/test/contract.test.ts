/**
 * Proves the memory adapter against the shared contract suite.
 */
import { MemoryStores } from "@boxoffice/memory"
import { contractSuite, StoreClock, suiteEpochMs } from "@boxoffice/testing"
import { Layer } from "effect"

contractSuite({
  name: "memory",
  layer: Layer.merge(MemoryStores.layer, StoreClock.layerManual(suiteEpochMs))
})
