/**
 * How a copy reads when the store last saw each waiter from the steps' bitmaps (`StepSightings`): the bits Redis
 * sets (`SETBIT`, read back with `GET`) name the same sequences, a later step's bit wins, and bitmaps that span
 * too many sequences are not read.
 */
import fc from "fast-check"
import { afterAll, assert, describe, it } from "vitest"
import { StepSightings } from "../src/internal/StepSightings.ts"
import { connect, deleteKeys, runPrefix } from "./support/TestRedis.ts"

const client = connect()
const prefix = runPrefix()
afterAll(async () => {
  await deleteKeys(client, prefix)
  await client.quit()
})

describe("the steps' sightings a copy reads", () => {
  it("name the sequences whose bits Redis set, each at its last step's end", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            base: fc.integer({ min: 1, max: 5_000 }),
            offsets: fc.uniqueArray(fc.nat(2_000), { maxLength: 40 })
          }),
          { minLength: 1, maxLength: 4 }
        ),
        async (steps) => {
          const read = []
          const expected = new Map<number, number>()
          for (const [i, step] of steps.entries()) {
            const key = `${prefix}seen:${i}`
            await client.del(key)
            for (const offset of step.offsets) await client.setbit(key, offset, 1)
            const stepEndMs = (i + 1) * 10_000
            for (const offset of step.offsets) expected.set(step.base + offset, stepEndMs)
            read.push({ stepEndMs, base: step.base, bitmap: (await client.getBuffer(key)) ?? new Uint8Array(0) })
          }
          const sightings = StepSightings.of(read)
          for (let sequence = 0; sequence <= 7_100; sequence++) {
            assert.strictEqual(sightings.seenAtMsOf(sequence), expected.get(sequence), `sequence ${sequence}`)
          }
        }
      ),
      { numRuns: 30 }
    )
  })

  it("are not read from bitmaps that span more than spanMax sequences", () => {
    const sightings = StepSightings.of([
      { stepEndMs: 10_000, base: 0, bitmap: Uint8Array.of(0x80) },
      { stepEndMs: 20_000, base: StepSightings.spanMax, bitmap: Uint8Array.of(0x80) }
    ])
    assert.deepStrictEqual(
      [sightings.seenAtMsOf(0), sightings.seenAtMsOf(StepSightings.spanMax)],
      [undefined, undefined]
    )
    assert.strictEqual(
      StepSightings.of([{ stepEndMs: 10_000, base: 0, bitmap: Uint8Array.of(0x80) }]).seenAtMsOf(0),
      10_000
    )
  })
})
