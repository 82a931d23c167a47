/**
 * Proves the Postgres adapter against the same contract, property and model
 * suites as memory, on a real PostgreSQL database.
 */
import { contractSuite, modelSuite, propertySuite } from "@boxoffice/testing"
import { afterAll, beforeAll } from "vitest"
import { createTestDatabase, postgresAdapter, type TestDatabase } from "./support/TestDatabase.ts"

let database: TestDatabase
const pool = () => database.pool(20)

beforeAll(async () => {
  database = await createTestDatabase()
}, 60_000)
afterAll(async () => {
  await database?.drop()
})

// The adapter is read lazily, once the database exists.
const adapter = {
  name: "postgres",
  get layer() {
    return postgresAdapter(sharedPool(), database.url).layer
  }
}
let created: ReturnType<typeof pool> | undefined
const sharedPool = () => (created ??= pool())

contractSuite(adapter)
propertySuite(adapter)
modelSuite(adapter)
