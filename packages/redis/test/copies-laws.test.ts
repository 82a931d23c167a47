/**
 * Proves the Redis queue with polls answered from each instance's copies of the lines against the same contract,
 * property, model and fairness suites as every adapter: `Booking` marks its polls and streams for display, so each is
 * answered from the copy whenever the copy is fresh and can answer, and the laws must hold all the same.
 */
import { contractSuite, fairnessSuite, modelSuite, propertySuite } from "@boxoffice/testing"
import { afterAll, assert } from "vitest"
import { displayReads } from "../src/internal/LineCopies.ts"
import { layerFromClient } from "../src/Queue.ts"
import { redisAdapterForFile } from "./support/TestRedis.ts"

// Ticks every 5 ms, so that a line's copy is fresh within the few calls a case makes after its first poll.
const adapter = redisAdapterForFile({ lineCopies: { stalenessMs: 1_000, tickMs: 5 } }, layerFromClient)
contractSuite(adapter)
propertySuite(adapter)
modelSuite(adapter)
fairnessSuite(adapter)

afterAll(() => {
  console.log(
    `[redis, copies] display reads: ${displayReads.fromCopy} from copies, ${displayReads.fromStore} by the store`
  )
  assert.isAbove(displayReads.fromCopy, 0, "no poll was answered from a copy")
})
