/**
 * Proves the Redis queue against the same contract, property and model
 * suites as memory and Postgres, on a real Redis server.
 */
import { contractSuite, modelSuite, propertySuite } from "@boxoffice/testing"
import { redisAdapterForFile } from "./support/TestRedis.ts"

const adapter = redisAdapterForFile()
contractSuite(adapter)
propertySuite(adapter)
modelSuite(adapter)
