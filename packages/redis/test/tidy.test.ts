/**
 * Proves when the Redis queue's admission step tidies (ends silent waiters and
 * run-out windows, forgets long-ended entries): only once something is due by
 * `tidyAtMs`, which a write of an earlier time brings forward, at least every
 * ten seconds whatever it says, and at once again after a batch cut short.
 */
import {
  ConcertId,
  Limits,
  newId,
  Queue,
  QueuePolicy,
  type QueueTokenHolder,
  QueueTokenId,
  sightingMsOf,
  UserId
} from "@boxoffice/core"
import { queueKeys, RedisQueue } from "@boxoffice/redis"
import { StoreClock, suiteEpochMs } from "@boxoffice/testing"
import { Clock, Effect, Layer, ManagedRuntime, Option } from "effect"
import { assert, describe, it } from "vitest"
import { memberOf } from "../src/internal/LineKeys.ts"
import { queueForFile } from "./support/TestRedis.ts"

const { advance, client, prefix, runtime } = queueForFile()

const newConcert = () => Effect.runSync(newId(ConcertId))
const joinWith = (on: typeof runtime, concertId: ConcertId, policy: QueuePolicy) =>
  on.runPromise(
    Effect.gen(function* () {
      const queue = yield* Queue
      return yield* queue.join({ tokenId: yield* newId(QueueTokenId), concertId, userId: yield* newId(UserId), policy })
    })
  )
const statusOf = (concertId: ConcertId, holder: QueueTokenHolder, policy: QueuePolicy) =>
  runtime.runPromise(Queue.use((queue) => queue.status(concertId, holder, policy))).then(Option.getOrThrow)
const stats = (concertId: ConcertId, policy: QueuePolicy) =>
  runtime.runPromise(Queue.use((queue) => queue.stats(concertId, policy)))
const end = (concertId: ConcertId, holder: QueueTokenHolder, policy: QueuePolicy) =>
  runtime.runPromise(Queue.use((queue) => queue.end(concertId, holder, policy)))
const keyOf = (concertId: ConcertId, name: string) =>
  queueKeys(prefix, concertId).find((key) => key.endsWith(`:${name}`))!

describe("the Redis queue's tidy", () => {
  it("skips calls before anything is due, yet runs at least every ten seconds", async () => {
    const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 3_600, admitPerMinute: null })
    const concertId = newConcert()
    const { entry } = await joinWith(runtime, concertId, policy)
    assert.strictEqual(entry.status, "active")
    // The window's end moved into the past in the index alone, as a writer that does not bring tidyAtMs
    // forward would leave it (the scripts of an older version, during a rolling upgrade).
    const nowMs = await runtime.runPromise(Clock.currentTimeMillis)
    await client.zadd(keyOf(concertId, "active"), nowMs + 1_000, memberOf(entry))
    await advance(5_000)
    // Nothing was due by tidyAtMs, so this call did not look: the window stands.
    assert.strictEqual((await statusOf(concertId, entry, policy)).status, "active")
    await advance(5_000)
    // Ten seconds after the last tidy, a call tidies whatever tidyAtMs says.
    assert.strictEqual((await statusOf(concertId, entry, policy)).status, "expired")
  })

  it("is brought forward by a call that carries an older clock, so a window it opens ends on time", async () => {
    const policy = new QueuePolicy({ maxActive: 2, activeSeconds: 10, admitPerMinute: null })
    const concertId = newConcert()
    // A second caller whose clock reads 100 s behind: its call reaches Redis after a later one.
    const behind = ManagedRuntime.make(
      Layer.merge(
        RedisQueue.layerFromClient(client, { keyPrefix: prefix, clock: "effect" }),
        StoreClock.layerManual(suiteEpochMs)
      )
    )
    try {
      await advance(100_000)
      const early = await joinWith(runtime, concertId, policy)
      // The later call tidied and set tidyAtMs 10 s ahead; this one admits a user whose window ends 90 s
      // before that, by its own clock.
      const late = await joinWith(behind, concertId, policy)
      assert.deepStrictEqual([early.entry.status, late.entry.status], ["active", "active"])
      // By the first caller's clock that window has run out: the next call ends it, and admits nobody
      // else in its place (there is nobody waiting).
      assert.strictEqual((await statusOf(concertId, late.entry, policy)).status, "expired")
      assert.strictEqual((await statusOf(concertId, early.entry, policy)).status, "active")
    } finally {
      await behind.dispose()
    }
  })

  it("goes on at the next call when one call's batch was cut short", async () => {
    const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 86_400, admitPerMinute: null })
    const concertId = newConcert()
    const silent = Limits.queueTidyBatchMax + 1
    const joinedAtMs = await runtime.runPromise(Clock.currentTimeMillis)
    await joinWith(runtime, concertId, policy)
    for (let i = 0; i < silent; i++) await joinWith(runtime, concertId, policy)
    assert.strictEqual((await stats(concertId, policy)).waiting, silent)
    // Every waiter falls silent past the grace period: one call drops a batch, the next the rest.
    await advance(sightingMsOf(joinedAtMs) + Limits.waitingGraceSeconds * 1000 - joinedAtMs)
    assert.strictEqual((await stats(concertId, policy)).waiting, 1)
    assert.strictEqual((await stats(concertId, policy)).waiting, 0)
    assert.strictEqual((await stats(concertId, policy)).active, 1)
  })
  it("marks each waiter in the step they were last sighted in, and drops a step's bitmap once it is tidied", async () => {
    const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 86_400, admitPerMinute: null })
    const concertId = newConcert()
    const stepMs = Limits.sightingStepSeconds * 1000
    // The set bits of each step's bitmap, by step.
    const bitsByStep = async () => {
      const steps = await client.zrange(keyOf(concertId, "steps"), 0, -1)
      return Promise.all(steps.map((step) => client.bitcount(`${keyOf(concertId, "seen")}:${step.split(",")[0]}`)))
    }
    // A millisecond into a step, so that its end is a step's length less a millisecond away.
    const startMs = await runtime.runPromise(Clock.currentTimeMillis)
    await advance(stepMs - (startMs % stepMs) + 1)
    const first = (await joinWith(runtime, concertId, policy)).entry
    const [a, b, c] = [
      (await joinWith(runtime, concertId, policy)).entry,
      (await joinWith(runtime, concertId, policy)).entry,
      (await joinWith(runtime, concertId, policy)).entry
    ]
    assert.deepStrictEqual([first.status, a.status], ["active", "waiting"])
    assert.deepStrictEqual(await bitsByStep(), [3])
    // A poll in the next step moves the waiter's bit there; a poll in the same step writes nothing.
    await advance(stepMs)
    await statusOf(concertId, b, policy)
    await statusOf(concertId, b, policy)
    assert.deepStrictEqual(await bitsByStep(), [2, 1])
    // Leaving the line, or being admitted, takes the waiter's bit.
    await end(concertId, c, policy)
    await end(concertId, first, policy)
    assert.strictEqual((await statusOf(concertId, a, policy)).status, "active")
    assert.deepStrictEqual(await bitsByStep(), [0, 1])
    // A grace after the first step's end, its bitmap is tidied away; the waiter sighted later keeps their place.
    await advance(Limits.waitingGraceSeconds * 1000 - 1)
    assert.strictEqual((await stats(concertId, policy)).waiting, 1)
    assert.deepStrictEqual(await bitsByStep(), [1])
    await advance(stepMs)
    assert.strictEqual((await stats(concertId, policy)).waiting, 0)
    assert.deepStrictEqual(await bitsByStep(), [])
    assert.strictEqual(await client.exists(keyOf(concertId, "steps")), 0)
  })
})
