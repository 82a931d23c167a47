/**
 * Proves the memory store's fair-start draw uniform: no join rank, user id
 * or token predicts a drawn place.
 */
import { drawOrder } from "@boxoffice/core"
import { MemoryStores } from "@boxoffice/memory"
import { chiSquareOfPlaces, fairnessSuite, StoreClock, StoreStall, suiteEpochMs } from "@boxoffice/testing"
import { Layer } from "effect"
import { assert, describe, it } from "vitest"

fairnessSuite({
  name: "memory",
  layer: Layer.merge(StoreStall.inFrontOf(MemoryStores.layer), StoreClock.layerManual(suiteEpochMs))
})

describe("the fairness statistic", () => {
  it("follows chi-square with 16 degrees of freedom under uniform draws (mean 16, not Pearson's 20)", () => {
    const shuffled = () => drawOrder([0, 1, 2, 3, 4], (bound) => Math.floor(Math.random() * bound))
    const statistics = Array.from({ length: 200 }, () => {
      const places = Array.from({ length: 2_000 }, shuffled)
      return chiSquareOfPlaces(places.map(() => [0, 1, 2, 3, 4]), places, 5)
    })
    const mean = statistics.reduce((a, b) => a + b, 0) / statistics.length
    // The mean of 200 such values has a standard deviation of sqrt(32 / 200) = 0.4.
    assert.isAbove(mean, 14)
    assert.isBelow(mean, 18)
  })
})
