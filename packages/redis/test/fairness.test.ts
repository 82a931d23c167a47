/**
 * Proves the Redis script's fair-start draw uniform: no join rank, user id
 * or token predicts a drawn place.
 */
import { fairnessSuite } from "@boxoffice/testing"
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

fairnessSuite(redisAdapter(shared, prefix))
