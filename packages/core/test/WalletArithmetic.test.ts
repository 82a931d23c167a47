/**
 * Proves the wallet arithmetic (L2): a balance never goes negative or past
 * its cap, and a refused change leaves it as it was.
 */
import { Result } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { credit, debit, holdAmountKrw, Limits } from "../src/index.ts"

describe("wallet arithmetic", () => {
  it("credits up to the cap exactly, and refuses one past it", () => {
    assert.deepStrictEqual(credit(Limits.balanceKrwMax - 5, 5), Result.succeed(Limits.balanceKrwMax))
    const over = credit(Limits.balanceKrwMax - 5, 6)
    assert.isTrue(Result.isFailure(over) && over.failure._tag === "BalanceLimitExceeded")
  })
  it("debits down to zero exactly, and refuses one past it", () => {
    assert.deepStrictEqual(debit(2_000, 2_000), Result.succeed(0))
    const short = debit(1_999, 2_000)
    assert.isTrue(Result.isFailure(short) && short.failure._tag === "InsufficientBalance")
    if (Result.isFailure(short))
      assert.deepStrictEqual([short.failure.balanceKrw, short.failure.neededKrw], [1_999, 2_000])
  })
  it("any sequence of credits and debits keeps the balance in 0..cap and equal to the applied sum", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: Limits.chargeKrwMax }))), (steps) => {
        let balance = 0
        let applied = 0
        for (const [isCredit, amount] of steps) {
          const next: Result.Result<number, unknown> = isCredit ? credit(balance, amount) : debit(balance, amount)
          if (Result.isSuccess(next)) {
            balance = next.success
            applied += isCredit ? amount : -amount
          }
          if (balance < 0 || balance > Limits.balanceKrwMax || balance !== applied) return false
        }
        return true
      }),
      { numRuns: 500 }
    )
  })
})

describe("payment plan", () => {
  it("the amount is the sum of the seats' prices", () => {
    assert.strictEqual(holdAmountKrw(55_000, [3, 4]), 110_000)
    assert.strictEqual(holdAmountKrw(0, [1]), 0)
  })
  it("the dearest allowed hold fits in one charge", () => {
    const seats = Array.from({ length: Limits.seatsPerUserMax }, (_, i) => i + 1)
    assert.isAtMost(holdAmountKrw(Limits.priceKrwMax, seats), Limits.chargeKrwMax)
  })
})
