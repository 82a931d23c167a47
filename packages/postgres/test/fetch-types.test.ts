/**
 * A connection reset while the driver fetches array types must not end the
 * process. Stock postgres.js 3.4.9 drops that query's promise, so the reset
 * becomes an unhandled rejection and Node exits (the control below shows
 * it); the adapter's clients turn the fetch off and declare `int[]`
 * themselves, so the same reset costs one reconnect and int arrays still
 * read as arrays.
 */
import { spawnSync } from "node:child_process"
import { Redacted } from "effect"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createTestDatabase, type TestDatabase } from "./support/TestDatabase.ts"

const child = fileURLToPath(new URL("./support/fetch-types-child.mjs", import.meta.url))
let database: TestDatabase

beforeAll(async () => {
  database = await createTestDatabase()
}, 60_000)
afterAll(() => database?.drop())

const run = (mode: "stock" | "adapter") =>
  spawnSync(process.execPath, [child, mode, Redacted.value(database.url)], { encoding: "utf8", timeout: 30_000 })

describe("a connection reset during the driver's type fetch", () => {
  it("control: stock postgres.js sends the fetch, and the reset kills the process", () => {
    const result = run("stock")
    assert.notStrictEqual(result.status, 0, result.stdout)
    assert.include(result.stderr, "ECONNRESET")
  })

  it("the adapter's client never sends it, survives, and still reads int[] as arrays", () => {
    const result = run("adapter")
    assert.strictEqual(result.status, 0, result.stderr)
    const { tripped, answer } = JSON.parse(result.stdout.trim().split("\n").pop()!)
    assert.isFalse(tripped)
    assert.deepStrictEqual(answer, { one: 1, seats: [3, 1, 2], none: [] })
  })
})
