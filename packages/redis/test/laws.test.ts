/**
 * Proves the Redis queue against the same contract, property and model
 * suites as memory and Postgres, on a real Redis server.
 */
import { contractSuite, modelSuite, propertySuite } from "@boxoffice/testing"
import type { Redis } from "ioredis"
import { afterAll } from "vitest"
import { connect, deleteKeys, redisAdapter, runPrefix } from "./support/TestRedis.ts"

const prefix = runPrefix()
let client: Redis | undefined
const shared = () => (client ??= connect())

afterAll(async () => {
  if (client !== undefined) {
    await deleteKeys(client, prefix)
    await client.quit()
  }
})

const adapter = redisAdapter(shared, prefix)
contractSuite(adapter)
propertySuite(adapter)
modelSuite(adapter)
