/**
 * Proves that a queue's keys always carry an expiry, so that Redis drops a
 * queue nobody calls: every key a call makes gets one at once, and every
 * key is refreshed at least every ten seconds of calls, but a call in
 * between refreshes at most what it wrote.
 */
import {
  ConcertId,
  Limits,
  newId,
  Queue,
  QueuePolicy,
  type QueueTokenHolder,
  QueueTokenId,
  UserId
} from "@boxoffice/core"
import { queueKeyOf, queueKeys } from "@boxoffice/redis"
import { StoreClock } from "@boxoffice/testing"
import { DateTime, Effect } from "effect"
import { assert, describe, it } from "vitest"
import { queueForFile } from "./support/TestRedis.ts"

const { advance, client, prefix, runtime } = queueForFile()

const activeSeconds = 10
const touchEveryMs = 10_000
const expiryMs = Limits.endedEntryRetentionSeconds * 1000 + activeSeconds * 1000 + touchEveryMs
const policy = new QueuePolicy({ maxActive: 1, activeSeconds, admitPerMinute: null })

const join = (concertId: ConcertId, queuePolicy = policy) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const queue = yield* Queue
      return yield* queue.join({
        tokenId: yield* newId(QueueTokenId),
        concertId,
        userId: yield* newId(UserId),
        policy: queuePolicy
      })
    })
  )
const status = (concertId: ConcertId, holder: QueueTokenHolder, queuePolicy = policy) =>
  runtime.runPromise(Queue.use((queue) => queue.status(concertId, holder, queuePolicy)))
const end = (concertId: ConcertId, holder: QueueTokenHolder) =>
  runtime.runPromise(Queue.use((queue) => queue.end(concertId, holder, policy)))
const newConcert = () => Effect.runSync(newId(ConcertId))

/** The expiry in ms of each of the queue's keys that exists, the steps' bitmaps (`seen:<step>`) among them: -1 for none. */
const expiries = async (concertId: ConcertId) => {
  const steps = await client.zrange(queueKeyOf(prefix, concertId, "steps"), 0, -1)
  const keys = [
    ...queueKeys(prefix, concertId),
    ...steps.map((step) => `${queueKeyOf(prefix, concertId, "seen")}:${step.split(",")[0]}`)
  ]
  const ttls = await Promise.all(keys.map((key) => client.pttl(key)))
  return Object.fromEntries(
    keys.flatMap((key, i) => (ttls[i] === -2 ? [] : [[key.slice(key.lastIndexOf(":v2:") + 4), ttls[i]!]]))
  )
}
/** The names of `expiries`, every step's bitmap named `seen:<step>`. */
const namesOf = (found: Record<string, number>) => [
  ...new Set(Object.keys(found).map((name) => name.replace(/^seen:\d+$/, "seen:<step>")))
]

const assertAllExpire = (found: Record<string, number>) => {
  for (const [name, ttlMs] of Object.entries(found)) {
    assert.isAbove(ttlMs, 0, `${name} has no expiry`)
    assert.isAtMost(ttlMs, expiryMs, `${name} expires later than the retention period, an active window and a refresh`)
  }
}

describe("the expiry of a queue's keys", () => {
  it("every key carries one, also keys emptied and made again between two refreshes", async () => {
    const concertId = newConcert()
    const first = await join(concertId)
    const second = await join(concertId)
    await status(concertId, second.entry)
    // Within the refresh interval: the line empties (its keys vanish) and fills again.
    await advance(2_000)
    await end(concertId, second.entry)
    await end(concertId, first.entry)
    await advance(2_000)
    const third = await join(concertId)
    const fourth = await join(concertId)
    await end(concertId, third.entry)
    // The fourth is admitted, which empties the line again; a fifth makes it anew.
    const fifth = await join(concertId)
    await status(concertId, fourth.entry)
    await status(concertId, fifth.entry)
    const found = await expiries(concertId)
    assert.sameMembers(namesOf(found), [
      "seq",
      "entries",
      "waiting",
      "seen:<step>",
      "steps",
      "active",
      "admissions",
      "waited",
      "ended",
      "settings",
      "log"
    ])
    assertAllExpire(found)
  })

  it("before a fair-start opening, the pre-queue carries one too", async () => {
    const concertId = newConcert()
    const nowMs = await runtime.runPromise(StoreClock.use((clock) => clock.nowMs))
    const fairStart = new QueuePolicy({ ...policy, opensAt: DateTime.makeUnsafe(nowMs + 60_000) })
    await join(concertId, fairStart)
    await advance(1_000)
    const later = await join(concertId, fairStart)
    await status(concertId, later.entry, fairStart)
    const found = await expiries(concertId)
    assert.includeMembers(Object.keys(found), ["pending", "entries", "seen", "settings"])
    assertAllExpire(found)
  })

  it("a join between two refreshes leaves the expiry of keys that were there alone, and gives one to a key it made anew", async () => {
    const concertId = newConcert()
    await join(concertId)
    await join(concertId)
    const [entries, steps] = [queueKeyOf(prefix, concertId, "entries"), queueKeyOf(prefix, concertId, "steps")]
    await client.pexpire(entries, 5_000)
    await advance(1_000)
    await join(concertId)
    // A write keeps a key's expiry: the join had nothing to renew.
    assert.isAtMost(await client.pttl(entries), 5_000)
    // A key lost on its own (evicted, say) is made again by the next join, with an expiry.
    await client.del(steps)
    await advance(1_000)
    await join(concertId)
    assert.isAbove(await client.pttl(steps), expiryMs - 60_000)
    assertAllExpire(await expiries(concertId))
  })

  it("a poll within ten seconds of the last refresh leaves keys it did not write alone; after that, it refreshes them all", async () => {
    const concertId = newConcert()
    // Joined a millisecond into a sighting's step, the poll below is in the same step: it writes nothing.
    const nowMs = await runtime.runPromise(StoreClock.use((clock) => clock.nowMs))
    await advance(Limits.sightingStepSeconds * 1000 - (nowMs % (Limits.sightingStepSeconds * 1000)) + 1)
    await join(concertId)
    const waiter = await join(concertId)
    // A poll reads the entries and does not write them.
    const entries = queueKeyOf(prefix, concertId, "entries")
    await client.pexpire(entries, 5_000)
    await advance(touchEveryMs - 1)
    await status(concertId, waiter.entry)
    assert.isAtMost(await client.pttl(entries), 5_000)
    await advance(1)
    await status(concertId, waiter.entry)
    assert.isAbove(await client.pttl(entries), expiryMs - 60_000)
    assertAllExpire(await expiries(concertId))
  })
})
