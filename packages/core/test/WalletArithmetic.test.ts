/**
 * Proves the wallet arithmetic (L2): a balance never goes negative or past
 * its cap, and a refused change leaves it as it was.
 */
import { Result } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { availableKrw, credit, debit, debitAvailable, holdAmountKrw, Limits, reserve } from "../src/index.ts"

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

describe("available balance (L2 with holdNeedsFunds)", () => {
  it("is the balance less the reservations", () => {
    assert.strictEqual(availableKrw(5_000, []), 5_000)
    assert.strictEqual(availableKrw(5_000, [1_000, 1_500]), 2_500)
  })
  it("a reservation fits in what is available exactly, and is refused one past it, naming what was available", () => {
    assert.deepStrictEqual(reserve(2_500, 2_500), Result.succeed(0))
    const short = reserve(2_500, 2_501)
    assert.isTrue(Result.isFailure(short) && short.failure._tag === "InsufficientBalance")
    if (Result.isFailure(short))
      assert.deepStrictEqual([short.failure.balanceKrw, short.failure.neededKrw], [2_500, 2_501])
  })
  it("a payment spends only what the other reservations leave, and debits the balance", () => {
    assert.deepStrictEqual(debitAvailable(5_000, [], 2_000), Result.succeed(3_000))
    assert.deepStrictEqual(debitAvailable(5_000, [3_000], 2_000), Result.succeed(3_000))
    const short = debitAvailable(5_000, [4_000], 2_000)
    assert.isTrue(Result.isFailure(short) && short.failure._tag === "InsufficientBalance")
    if (Result.isFailure(short))
      assert.deepStrictEqual([short.failure.balanceKrw, short.failure.neededKrw], [1_000, 2_000])
  })
  it("any sequence of charges, reservations, their ends and payments keeps available ≥ 0", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("charge" as const), amount: fc.integer({ min: 1, max: 5_000 }) }),
            fc.record({ kind: fc.constant("reserve" as const), amount: fc.integer({ min: 0, max: 5_000 }) }),
            fc.record({ kind: fc.constant("plain" as const), amount: fc.integer({ min: 0, max: 5_000 }) }),
            fc.record({ kind: fc.constant("end" as const), index: fc.nat() }),
            fc.record({ kind: fc.constant("pay" as const), index: fc.nat() })
          )
        ),
        (steps) => {
          let balance = 0
          // Live holds: whether each reserves, and its amount.
          const holds: Array<{ readonly reserves: boolean; readonly amount: number }> = []
          const reservations = (except: number | null) =>
            holds.flatMap((hold, index) => (hold.reserves && index !== except ? [hold.amount] : []))
          for (const step of steps) {
            if (step.kind === "charge") {
              const next = credit(balance, step.amount)
              if (Result.isSuccess(next)) balance = next.success
            } else if (step.kind === "reserve") {
              if (Result.isSuccess(reserve(availableKrw(balance, reservations(null)), step.amount))) {
                holds.push({ reserves: true, amount: step.amount })
              }
            } else if (step.kind === "plain") {
              holds.push({ reserves: false, amount: step.amount })
            } else if (holds.length > 0) {
              const index = step.index % holds.length
              if (step.kind === "pay") {
                const next = debitAvailable(balance, reservations(index), holds[index]!.amount)
                if (holds[index]!.reserves && Result.isFailure(next)) return false
                if (Result.isSuccess(next)) balance = next.success
                else continue
              }
              holds.splice(index, 1)
            }
            if (balance < 0 || availableKrw(balance, reservations(null)) < 0) return false
          }
          return true
        }
      ),
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
