/**
 * The Redis queue on a real Redis Cluster (three masters: CI's, or started
 * for this file): the same contract, property and model suites as on one Redis, and
 * queues of many concerts spread over the cluster's nodes, each queue's keys
 * on one node; and the three suites again, with the fairness suite, with
 * polls answered from each instance's copies of the lines (issue 38), whose
 * ticks and reads go to each line's node like every other call.
 */
import { ConcertId, newId, Queue, QueuePolicy, QueueTokenId, UserId } from "@boxoffice/core"
import { RedisQueue } from "@boxoffice/redis"
import {
  contractSuite,
  fairnessSuite,
  modelSuite,
  propertySuite,
  startRedisCluster,
  type TestRedisCluster
} from "@boxoffice/testing"
import { Effect } from "effect"
import { Cluster } from "ioredis"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { layerFromClient } from "../src/Queue.ts"
import { redisAdapter, runPrefix } from "./support/TestRedis.ts"

const prefix = runPrefix()
// The cluster CI keeps on 7000-7002 (BOXOFFICE_TEST_REDIS_CLUSTER), or one started for this file.
const configured = process.env["BOXOFFICE_TEST_REDIS_CLUSTER"]
let cluster: TestRedisCluster | undefined
let nodes: Array<{ host: string; port: number }> = []
let client: Cluster | undefined
const shared = () => {
  if (client === undefined) {
    client = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1 } })
    client.on("error", () => {})
  }
  return client
}

beforeAll(async () => {
  if (configured === undefined) cluster = await startRedisCluster()
  nodes = (configured?.split(",") ?? cluster!.nodeUrls).map((url) => {
    const parsed = new URL(url)
    return { host: parsed.hostname, port: Number(parsed.port) }
  })
}, 60_000)

afterAll(async () => {
  if (client !== undefined) {
    // A shared cluster keeps nothing of this run.
    for (const node of client.nodes("master")) {
      const keys = await keysOn(node, `${prefix}*`)
      for (const key of keys) await node.del(key)
    }
    await client.quit().catch(() => client?.disconnect())
  }
  await cluster?.stop()
}, 30_000)

const adapter = redisAdapter(shared, prefix, "redis cluster")
contractSuite(adapter)
propertySuite(adapter)
modelSuite(adapter)

// Ticks every 5 ms, so that a line's copy is fresh within the few calls a case makes after its first poll.
const withCopies = redisAdapter(
  shared,
  `${prefix}copies:`,
  "redis cluster, polls from copies",
  { lineCopies: { stalenessMs: 1_000, tickMs: 5 } },
  layerFromClient
)
contractSuite(withCopies)
propertySuite(withCopies)
modelSuite(withCopies)
fairnessSuite(withCopies)

/** Keys under `prefix` on one node. */
const keysOn = async (node: import("ioredis").Redis, match: string) => {
  const found: Array<string> = []
  let cursor = "0"
  do {
    const [next, keys] = await node.scan(cursor, "MATCH", match, "COUNT", 1_000)
    cursor = next
    found.push(...keys)
  } while (cursor !== "0")
  return found
}

describe("queues on a Redis Cluster", () => {
  it("queues of 30 concerts spread over more than one node, each queue's keys on a single node", async () => {
    const keyPrefix = `${prefix}spread:`
    const concerts = Array.from({ length: 30 }, () => Effect.runSync(newId(ConcertId)))
    await Effect.runPromise(
      Effect.gen(function* () {
        const queue = yield* Queue
        for (const concertId of concerts) {
          const entry = yield* queue.join({
            tokenId: yield* newId(QueueTokenId),
            concertId,
            userId: yield* newId(UserId),
            policy: QueuePolicy.default
          })
          assert.isTrue(entry.created)
        }
      }).pipe(Effect.provide(RedisQueue.layerFromClient(shared(), { keyPrefix })))
    )
    const masters = shared().nodes("master")
    assert.strictEqual(masters.length, 3)
    const byNode = await Promise.all(masters.map((node) => keysOn(node, `${keyPrefix}*`)))
    assert.isAtLeast(byNode.filter((keys) => keys.length > 0).length, 2, "every queue landed on one node")
    for (const concertId of concerts) {
      const holders = byNode.filter((keys) => keys.some((key) => key.includes(`{q:${concertId}}`)))
      assert.strictEqual(holders.length, 1, `the keys of ${concertId} span ${holders.length} nodes`)
    }
  })
})
