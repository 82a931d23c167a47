/**
 * A master of a real Redis Cluster crashes mid-sale (SIGKILL, no replica):
 * calls on the queues it held fail with `Unavailable` and never admit
 * anyone, queues on the other masters go on, and once the master is back
 * (empty: nothing was saved) its queues serve again, their lost entries
 * treated as ended.
 */
import {
  ConcertId,
  newId,
  Queue,
  QueuePolicy,
  type QueueTokenHolder,
  QueueTokenId,
  type Unavailable,
  UserId
} from "@boxoffice/core"
import { RedisQueue } from "@boxoffice/redis"
import { startRedisCluster, type TestRedisCluster } from "@boxoffice/testing"
import { Effect, ManagedRuntime, Option, Redacted, Result } from "effect"
import { Redis } from "ioredis"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { runPrefix } from "./support/TestRedis.ts"

const prefix = runPrefix()
let cluster: TestRedisCluster
let runtime: ManagedRuntime.ManagedRuntime<Queue, Unavailable>

beforeAll(async () => {
  cluster = await startRedisCluster()
  runtime = ManagedRuntime.make(
    RedisQueue.layer({
      clusterNodes: cluster.nodeUrls.map((url) => Redacted.make(url)),
      keyPrefix: prefix,
      timeoutMs: 500
    })
  )
}, 60_000)

afterAll(async () => {
  await runtime?.dispose()
  await cluster?.stop()
}, 30_000)

const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 600, admitPerMinute: null })
const join = (concertId: ConcertId, userId: UserId) =>
  Effect.flatMap(newId(QueueTokenId), (tokenId) => Queue.use((q) => q.join({ tokenId, concertId, userId, policy })))
const status = (concertId: ConcertId, holder: QueueTokenHolder) => Queue.use((q) => q.status(concertId, holder, policy))

/** The port of the master that holds a queue's keys. */
const masterOf = async (concertId: ConcertId) => {
  for (const port of cluster.ports) {
    const node = new Redis(port, "127.0.0.1")
    const [, keys] = await node.scan("0", "MATCH", `${prefix}{q:${concertId}}*`, "COUNT", 10_000)
    await node.quit()
    if (keys.length > 0) return port
  }
  throw new Error(`no master holds ${concertId}`)
}

describe("a cluster master crashes mid-sale", () => {
  it("its queues answer Unavailable and admit nobody; the others go on; back, it serves again", async () => {
    const run = <A, E>(effect: Effect.Effect<A, E, Queue>) => runtime.runPromise(effect)
    const runResult = <A, E>(effect: Effect.Effect<A, E, Queue>) => runtime.runPromise(Effect.result(effect))
    // Concerts until two live on different masters.
    const concerts: Array<{ concertId: ConcertId; port: number }> = []
    while (new Set(concerts.map((c) => c.port)).size < 2) {
      const concertId = Effect.runSync(newId(ConcertId))
      await run(join(concertId, Effect.runSync(newId(UserId))))
      concerts.push({ concertId, port: await masterOf(concertId) })
    }
    const doomed = concerts[0]!
    const survivor = concerts.find((c) => c.port !== doomed.port)!
    // On the doomed queue: the first joiner is active, a second waits.
    const waiter = await run(join(doomed.concertId, Effect.runSync(newId(UserId))))
    assert.strictEqual(waiter.entry.status, "waiting")

    await cluster.crashNode(doomed.port)
    const during: Array<string> = []
    for (let i = 0; i < 5; i++) {
      const answered = await runResult(status(doomed.concertId, waiter.entry))
      during.push(Result.isFailure(answered) ? answered.failure._tag : `answered ${JSON.stringify(answered.success)}`)
      const joined = await runResult(join(doomed.concertId, Effect.runSync(newId(UserId))))
      during.push(Result.isFailure(joined) ? joined.failure._tag : `answered ${JSON.stringify(joined.success)}`)
    }
    assert.deepStrictEqual([...new Set(during)], ["Unavailable"])
    // The other master's queue goes on.
    const elsewhere = await run(join(survivor.concertId, Effect.runSync(newId(UserId))))
    assert.isTrue(elsewhere.created)

    await cluster.restartNode(doomed.port)
    let back: Result.Result<Option.Option<unknown>, unknown> | undefined
    for (let i = 0; i < 100; i++) {
      back = await runResult(status(doomed.concertId, waiter.entry))
      if (Result.isSuccess(back)) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    // The master came back empty: the waiter's entry is gone (ended), never turned active.
    assert.isTrue(back !== undefined && Result.isSuccess(back) && Option.isNone(back.success))
    const fresh = await run(join(doomed.concertId, Effect.runSync(newId(UserId))))
    assert.deepStrictEqual([fresh.created, fresh.entry.status], [true, "active"])
  })
})
