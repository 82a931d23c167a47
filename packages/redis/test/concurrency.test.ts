/**
 * Proves exact FIFO admission across instances on a real Redis, by Redis
 * server time: 10,000 joins from two separate clients get positions exactly
 * 1..10,000 in the order Redis received them, admission follows that order,
 * and a sampler never sees more than maxActive active tokens.
 */
import {
  ConcertId,
  newId,
  type QueueEntry,
  QueuePolicy,
  type QueueTokenHolder,
  QueueTokenId,
  UserId
} from "@boxoffice/core"
import { queueKeyOf, queueKeys } from "@boxoffice/redis"
import { Effect } from "effect"
import type { Redis } from "ioredis"
import { afterAll, assert, describe, it } from "vitest"
import { makeQueue } from "../src/Queue.ts"
import { connect, deleteKeys, runPrefix } from "./support/TestRedis.ts"

const prefix = runPrefix()
const clients: Array<Redis> = []
const client = () => {
  const created = connect()
  clients.push(created)
  return created
}
afterAll(async () => {
  await deleteKeys(clients[0]!, prefix)
  await Promise.all(clients.map((c) => c.quit()))
})

describe("Redis queue across two instances", () => {
  it("10,000 concurrent joins from two clients: positions 1..10,000, FIFO admission, never more than maxActive", async () => {
    const policy = new QueuePolicy({ maxActive: 50, activeSeconds: 600, admitPerMinute: null })
    const concertId = Effect.runSync(newId(ConcertId))
    const queues = [makeQueueOf(client()), makeQueueOf(client())]
    const activeKey = queueKeyOf(prefix, concertId, "active")
    const sampler = client()
    let sampledMax = 0
    let samples = 0
    let sampling = true
    const sampling$ = (async () => {
      while (sampling) {
        sampledMax = Math.max(sampledMax, await sampler.zcard(activeKey!))
        samples++
      }
    })()

    // 50 early birds fill every slot.
    const early: Array<QueueEntry> = []
    for (let i = 0; i < 50; i++) early.push(await join(queues[0]!, concertId, policy))
    assert.isTrue(early.every((e) => e.status === "active"))

    const started = performance.now()
    const joined = await Promise.all(Array.from({ length: 10_000 }, (_, i) => join(queues[i % 2]!, concertId, policy)))
    const joinMs = performance.now() - started
    assert.isTrue(joined.every((e) => e.status === "waiting"))
    const positions = joined.map((e) => e.position!).sort((a, b) => a - b)
    assert.deepStrictEqual(
      positions,
      Array.from({ length: 10_000 }, (_, i) => i + 1)
    )
    // Each position is the order in which Redis received the join.
    assert.isTrue(joined.every((e) => e.position === e.joinSequence - 50))

    const memoryBytes = await Promise.all(queueKeys(prefix, concertId).map((key) => sampler.memory("USAGE", key)))
    const bytesPerWaiter = memoryBytes.reduce<number>((sum, b) => sum + Number(b ?? 0), 0) / 10_050

    // Free the slots round by round from both instances; the next 50 in join order must be the ones admitted.
    const byOrder = [...joined].sort((a, b) => a.joinSequence - b.joinSequence)
    let active = early
    for (let round = 0; round < 20; round++) {
      await Promise.all(active.map((e, i) => end(queues[i % 2]!, concertId, e, policy)))
      const expected = byOrder.slice(round * 50, round * 50 + 50)
      const now = await Promise.all(expected.map((e, i) => status(queues[i % 2]!, concertId, e, policy)))
      assert.isTrue(
        now.every((e) => e.status === "active"),
        `round ${round}: the next 50 in join order are not all active`
      )
      const next = await status(queues[0]!, concertId, byOrder[round * 50 + 50]!, policy)
      assert.strictEqual(next.status, "waiting")
      assert.strictEqual(next.position, 1)
      active = now
    }
    sampling = false
    await sampling$
    assert.isAtMost(sampledMax, 50)
    assert.isAbove(samples, 10)
    console.log(
      `[redis] 10,000 joins from 2 clients in ${joinMs.toFixed(0)} ms; 1,000 FIFO admissions checked; ` +
        `sampler: ${samples} samples, max ${sampledMax} active; ${bytesPerWaiter.toFixed(0)} bytes per queued user`
    )
  }, 120_000)

  it("a leave or a payment frees a slot, and the next waiter is active on its next status call", async () => {
    const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 600, admitPerMinute: null })
    const concertId = Effect.runSync(newId(ConcertId))
    const [a, b] = [makeQueueOf(client()), makeQueueOf(client())]
    const first = await join(a!, concertId, policy)
    const second = await join(b!, concertId, policy)
    const third = await join(a!, concertId, policy)
    assert.deepStrictEqual([first.status, second.status, third.status], ["active", "waiting", "waiting"])
    await end(a!, concertId, first, policy)
    assert.strictEqual((await status(b!, concertId, second, policy)).status, "active")
    await end(b!, concertId, second, policy)
    assert.strictEqual((await status(a!, concertId, third, policy)).status, "active")
  })
})

const makeQueueOf = (c: Redis) => makeQueue(c, { keyPrefix: prefix })
type QueueService = ReturnType<typeof makeQueueOf>
const join = (queue: QueueService, concertId: ConcertId, policy: QueuePolicy) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const { entry } = yield* queue.join({
        tokenId: yield* newId(QueueTokenId),
        concertId,
        userId: yield* newId(UserId),
        policy
      })
      return entry
    })
  )
const status = (queue: QueueService, concertId: ConcertId, holder: QueueTokenHolder, policy: QueuePolicy) =>
  Effect.runPromise(
    Effect.map(queue.status(concertId, holder, policy), (o) => (o._tag === "Some" ? o.value : assert.fail("no entry")))
  )
const end = (queue: QueueService, concertId: ConcertId, holder: QueueTokenHolder, policy: QueuePolicy) =>
  Effect.runPromise(queue.end(concertId, holder, policy))
