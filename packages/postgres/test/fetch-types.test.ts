/**
 * A connection reset while a new connection sends its first query, or
 * while the driver looks up the server's types, must not end the process.
 * postgres.js 3 dropped the promise of that look-up (its `fetch_types`), so
 * such a reset was an unhandled rejection and Node exited; the adapter used
 * to turn the look-up off. postgres.js 4 knows the built-in types and their
 * arrays without asking, looks the others up only when a query meets one,
 * and reads them again when the look-up fails. Each case runs in a child
 * process, as a server would: a reset during the first query costs that
 * query (the caller sees a closed connection) and a reconnect; one during
 * the look-up costs nothing the caller sees.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Redacted } from "effect"
import postgres from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createTestDatabase, type TestDatabase } from "./support/TestDatabase.ts"

const child = fileURLToPath(new URL("./support/fetch-types-child.mjs", import.meta.url))
let database: TestDatabase

beforeAll(async () => {
  database = await createTestDatabase()
  const sql = postgres(Redacted.value(database.url), {
    max: 1,
    onnotice: () => {},
    connection: { search_path: "boxoffice" }
  })
  await sql`create type boxoffice_test_mood as enum ('high', 'low')`
  await sql.end()
}, 60_000)
afterAll(() => database?.drop())

const run = (mode: "first-query" | "type-fetch") => {
  const result = spawnSync(process.execPath, [child, mode, Redacted.value(database.url)], {
    encoding: "utf8",
    timeout: 30_000
  })
  assert.strictEqual(result.status, 0, `the process died:\n${result.stderr}`)
  return JSON.parse(result.stdout.trim().split("\n").pop()!)
}

describe("a connection reset before the first answer", () => {
  it("during the first query: the process lives, the query fails once, and the retry reads int[] as arrays", () => {
    const { tripped, failures, answer } = run("first-query")
    assert.isTrue(tripped)
    assert.deepStrictEqual(failures, ["CONNECTION_CLOSED"])
    assert.deepStrictEqual(answer, { one: 1, seats: [3, 1, 2], none: [] })
  })

  it("during the driver's type look-up: the process lives, and the driver reads the types again by itself", () => {
    const { tripped, failures, answer } = run("type-fetch")
    assert.isTrue(tripped)
    assert.deepStrictEqual(failures, [])
    assert.deepStrictEqual(answer, { moods: ["high", "low"] })
  })
})
