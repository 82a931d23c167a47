/**
 * The webhook loop's wait between claims (`ClaimPace.ts`): slowed by a backlog, which makes every claim slow, and
 * not by one slow claim alone.
 */
import { assert, describe, it } from "vitest"
import { claimPaceMs } from "../src/ClaimPace.ts"

describe("the wait between webhook claims", () => {
  it("follows claims that stay slow, as behind a backlog", () => {
    assert.strictEqual(claimPaceMs(190, 185, 4), 740)
    assert.strictEqual(claimPaceMs(185, 190, 4), 740)
  })

  it("is none after one slow claim alone: the first on a cold connection, or a moment of contention", () => {
    assert.strictEqual(claimPaceMs(300, 0, 4), 0)
    assert.strictEqual(claimPaceMs(300, 2, 4), 8)
  })
})
