/**
 * The payment as it was before it locked its seats and read the clock after
 * its locks: the lock-wait contract case must catch it on a real database.
 */
import { harnessLayer, lockWaitCases } from "@boxoffice/testing"
import { Effect, Exit } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createTestDatabase, postgresAdapter, type TestDatabase } from "./support/TestDatabase.ts"

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
}, 60_000)
afterAll(async () => {
  await database?.drop()
})

/** `boxoffice_pay`, judging expiry by the clock when the call began and selling seats by number alone. */
const installBrokenPayment = async (sql: ReturnType<TestDatabase["pool"]>) => {
  const [row] = await sql<Array<{ definition: string }>>`
    select pg_get_functiondef('boxoffice_pay'::regproc) as definition`
  const correct = row!.definition
  const decidingClock = "  v_now := boxoffice_now();\n"
  const seatCheck = " OR v_seats_ours <> cardinality(v_hold.seat_numbers)"
  assert.include(correct, decidingClock)
  assert.include(correct, seatCheck)
  const broken = correct
    .replace(decidingClock, "")
    .replace(seatCheck, "")
    .replace(/\nBEGIN\n/, `\nBEGIN\n${decidingClock}`)
  assert.notStrictEqual(broken, correct)
  await sql.unsafe(broken)
}

describe("a payment that judges expiry by its start and sells seats by number", () => {
  it("is caught by the lock-wait contract case", async () => {
    const pool = database.pool(10)
    await installBrokenPayment(pool)
    const adapter = postgresAdapter(pool, database.url)
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Effect.provide(lockWaitCases[0]!.body, harnessLayer(adapter)))
    )
    assert.isTrue(Exit.isFailure(exit), "the broken payment passed the lock-wait case")
    assert.match(String(Exit.isFailure(exit) ? exit.cause : ""), /the payment of an expired hold succeeded/)
  }, 30_000)
})
