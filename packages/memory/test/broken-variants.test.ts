/**
 * Proves the property suite can fail: each deliberately broken memory store
 * is caught, with a shrunk counterexample that names the broken law.
 */
import { checkBookingLaws, StoreClock, StoreStall, suiteEpochMs } from "@boxoffice/testing"
import { Layer } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import type { Faults } from "../src/internal/MemoryState.ts"
import { memoryStoresLayer } from "../src/internal/layer.ts"

const variants: ReadonlyArray<{ readonly name: string; readonly faults: Faults; readonly law: RegExp }> = [
  { name: "skips the seat-taken check", faults: { skipSeatTakenCheck: true }, law: /L1/ },
  { name: "debits without the balance guard", faults: { skipBalanceGuard: true }, law: /L2/ },
  { name: "ignores hold expiry at payment", faults: { ignoreHoldExpiryAtPayment: true }, law: /L4/ },
  { name: "lines up joins before the opening in join order", faults: { ignoreOpening: true }, law: /L5/ },
  { name: "reserves funds without checking what is available", faults: { skipFundsCheck: true }, law: /L2/ },
  { name: "prices every seat at its date's price", faults: { ignoreSeatClasses: true }, law: /L3/ },
  { name: "counts held seats as sold", faults: { countHeldAsSold: true }, law: /L5: told sold-out/ },
  { name: "credits a refund but leaves the payment standing", faults: { refundCreditsTwice: true }, law: /L[12]/ },
  { name: "frees refunded seats without the money", faults: { refundWithoutMoney: true }, law: /L2/ },
  { name: "sells without recording the payment's event", faults: { dropPaymentEvents: true }, law: /events/ }
]

describe("broken memory variants are caught by the property suite", () => {
  for (const variant of variants) {
    it(`a store that ${variant.name} is caught`, async () => {
      const details = await checkBookingLaws(
        {
          name: variant.name,
          layer: Layer.merge(
            StoreStall.inFrontOf(memoryStoresLayer(variant.faults)),
            StoreClock.layerManual(suiteEpochMs)
          )
        },
        { runs: 20_000, seed: 20261122 }
      )
      assert.isTrue(details.failed, `the suite did not catch a store that ${variant.name}`)
      assert.isNotNull(details.counterexample)
      assert.match(String(details.errorInstance), variant.law)
      const [, steps] = details.counterexample!
      console.log(
        `[broken] ${variant.name}: caught after ${details.numRuns} case(s), ${details.numShrinks} shrinks, ` +
          `${steps.length} steps left: ${String(details.errorInstance).split("\n")[0]}\n` +
          `  counterexample: ${fc.stringify(steps)}`
      )
      // Shrinking leaves only the few steps the bug needs.
      assert.isAtMost(steps.length, 8)
    }, 600_000)
  }
})
