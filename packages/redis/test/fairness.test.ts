/**
 * Proves the Redis script's fair-start draw uniform: no join rank, user id
 * or token predicts a drawn place.
 */
import { fairnessSuite } from "@boxoffice/testing"
import { redisAdapterForFile } from "./support/TestRedis.ts"

fairnessSuite(redisAdapterForFile())
