/**
 * Proves the hold lifecycle: expiry is judged at read time (L4), only a
 * live hold is payable, and releasing is idempotent but never undoes a sale.
 */
import { Result } from "effect"
import { assert, describe, it } from "vitest"
import { checkPayable, checkReleasable, holdExpiresAtMs, holdIsLive, holdStatus } from "../src/index.ts"

describe("hold lifecycle", () => {
  it("a held hold is live until expiresAt, then expired", () => {
    const expiresAt = holdExpiresAtMs(1_000, 300)
    assert.strictEqual(expiresAt, 301_000)
    assert.strictEqual(holdStatus("held", expiresAt, 300_999), "held")
    assert.strictEqual(holdStatus("held", expiresAt, 301_000), "expired")
    assert.isTrue(holdIsLive("held", expiresAt, 300_999))
    assert.isFalse(holdIsLive("held", expiresAt, 301_000))
  })
  it("paid and released are final, whatever the clock says", () => {
    assert.strictEqual(holdStatus("paid", 0, 1_000), "paid")
    assert.strictEqual(holdStatus("released", 10_000, 1_000), "released")
    assert.isFalse(holdIsLive("released", 10_000, 1_000))
  })
  it("only a held hold is payable", () => {
    assert.isTrue(Result.isSuccess(checkPayable("h", "held")))
    const paid = checkPayable("h", "paid")
    assert.isTrue(Result.isFailure(paid) && paid.failure._tag === "AlreadyPaid")
    for (const status of ["expired", "released"] as const) {
      const result = checkPayable("h", status)
      assert.isTrue(Result.isFailure(result) && result.failure._tag === "HoldExpired")
    }
  })
  it("release frees a live hold, is a no-op otherwise, and refuses a paid one", () => {
    assert.deepStrictEqual(checkReleasable("h", "held"), Result.succeed(true))
    assert.deepStrictEqual(checkReleasable("h", "expired"), Result.succeed(false))
    assert.deepStrictEqual(checkReleasable("h", "released"), Result.succeed(false))
    const paid = checkReleasable("h", "paid")
    assert.isTrue(Result.isFailure(paid) && paid.failure._tag === "AlreadyPaid")
  })
})
