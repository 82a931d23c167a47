/**
 * `holdNeedsFunds` broken on a real database, one way at a time: each
 * broken write function must be caught by a `holdFundsCaseList` contract
 * case, and the correct function passes the same case.
 */
import { harnessLayer, holdFundsCaseList } from "@boxoffice/testing"
import { Cause, Effect, Exit } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createTestDatabase, postgresAdapter, type TestDatabase } from "./support/TestDatabase.ts"

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
}, 60_000)
afterAll(async () => {
  await database?.drop()
})

const caseNamed = (start: string) => {
  const found = holdFundsCaseList.find((fundsCase) => fundsCase.name.startsWith(start))
  assert.isDefined(found, `no holdNeedsFunds case starts with "${start}"`)
  return found!
}

const variants: ReadonlyArray<{
  readonly name: string
  readonly fn: "boxoffice_hold" | "boxoffice_pay"
  readonly correct: string
  readonly broken: string
  readonly caughtBy: string
  /** The case's failure, as the broken store answers it. */
  readonly failure: RegExp
  /** How often the case may run before it must have caught the variant: a race needs a few tries. */
  readonly attempts: number
}> = [
  {
    name: "a hold that reserves without checking what is available",
    fn: "boxoffice_hold",
    correct: "    IF p_amount_krw > available_krw THEN\n      outcome := 'insufficient';\n      RETURN;\n    END IF;\n",
    broken: "",
    caughtBy: "a hold that would exceed available",
    failure: /InsufficientBalance/,
    attempts: 1
  },
  {
    name: "a hold that reads the wallet without locking it",
    fn: "boxoffice_hold",
    correct: "FROM wallets w WHERE w.user_id = p_user_id FOR UPDATE;",
    broken: "FROM wallets w WHERE w.user_id = p_user_id;",
    caughtBy: "20 concurrent holds",
    failure: /expected \d+ to equal 5/,
    attempts: 20
  },
  {
    name: "a payment that spends what other holds reserve",
    fn: "boxoffice_pay",
    correct: "    AND h.hold_id <> p_hold_id;",
    broken: "    AND false;",
    caughtBy: "money that holds keep",
    failure: /InsufficientBalance/,
    attempts: 1
  }
]

describe("holdNeedsFunds broken in the database is caught by its contract cases", () => {
  for (const variant of variants) {
    it(`${variant.name} is caught`, async () => {
      const pool = database.pool(20)
      const [row] = await pool<Array<{ definition: string }>>`
        select pg_get_functiondef(${variant.fn}::regproc) as definition`
      const correct = row!.definition
      assert.include(correct, variant.correct)
      const fundsCase = caseNamed(variant.caughtBy)
      const run = () =>
        Effect.runPromiseExit(
          Effect.scoped(Effect.provide(fundsCase.body, harnessLayer(postgresAdapter(pool, database.url))))
        )
      try {
        await pool.unsafe(correct.replace(variant.correct, variant.broken))
        let caught: Exit.Exit<void, unknown> | null = null
        let tries = 0
        while (caught === null && tries < variant.attempts) {
          tries++
          const exit = await run()
          if (Exit.isFailure(exit)) caught = exit
        }
        assert.isNotNull(caught, `${variant.name} passed "${fundsCase.name}" ${tries} times`)
        const message = Cause.pretty((caught as Exit.Failure<void, unknown>).cause)
        assert.match(message, variant.failure)
        console.log(
          `[broken] ${variant.name}: caught by "${fundsCase.name}" on try ${tries}: ${message.split("\n")[0]}`
        )
      } finally {
        await pool.unsafe(correct)
      }
      // The correct function passes the same case.
      const exit = await run()
      assert.isTrue(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "")
    }, 120_000)
  }
})
