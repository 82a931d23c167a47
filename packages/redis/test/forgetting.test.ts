/**
 * Proves that the queue survives Redis forgetting: any of its keys evicted
 * or dropped leaves entries ended or positions intact, never an error, and
 * a rejoin replaces the user's ended entry (O(1) retained per user).
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
import { checkEvictionPolicy, queueKeys } from "@boxoffice/redis"
import { Cause, DateTime, Effect, Exit, Logger, Option } from "effect"
import { assert, describe, it } from "vitest"
import { userKeyOf } from "../src/internal/LineKeys.ts"
import { queueForFile } from "./support/TestRedis.ts"

const { advance, client, prefix, runtime } = queueForFile()

const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 10, admitPerMinute: null })

const join = (concertId: ConcertId, userId: UserId, queuePolicy = policy) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const queue = yield* Queue
      return yield* queue.join({ tokenId: yield* newId(QueueTokenId), concertId, userId, policy: queuePolicy })
    })
  )
const status = (concertId: ConcertId, holder: QueueTokenHolder, queuePolicy = policy) =>
  runtime.runPromise(Queue.use((queue) => queue.status(concertId, holder, queuePolicy)))
const end = (concertId: ConcertId, holder: QueueTokenHolder) =>
  runtime.runPromise(Queue.use((queue) => queue.end(concertId, holder, policy)))

const keyOf = (concertId: ConcertId, name: string) =>
  queueKeys(prefix, concertId).find((key) => key.endsWith(`:${name}`))!

describe("Redis that forgets", () => {
  it("with the entries evicted, joins and status calls go on: lost entries are ended, never an error", async () => {
    const concertId = Effect.runSync(newId(ConcertId))
    const users = Effect.runSync(Effect.forEach([0, 1, 2], () => newId(UserId)))
    const tickets = []
    for (const userId of users) tickets.push(await join(concertId, userId))
    assert.deepStrictEqual(
      tickets.map((t) => t.entry.status),
      ["active", "waiting", "waiting"]
    )
    await client.del(keyOf(concertId, "entries"))
    // Every lost token names nothing now; the line is rebuilt by those who come back.
    for (const ticket of tickets) assert.isTrue(Option.isNone(await status(concertId, ticket.entry)))
    const newcomer = await join(concertId, Effect.runSync(newId(UserId)))
    const again = await join(concertId, users[1]!)
    assert.isTrue(newcomer.created && again.created)
    // The lost active entry keeps its slot until its window runs out: never more than maxActive.
    assert.deepStrictEqual([newcomer.entry.status, again.entry.status], ["waiting", "waiting"])
    await advance(11_000)
    // Then the slot passes over the lost waiters to the first who came back.
    assert.strictEqual(Option.getOrThrow(await status(concertId, newcomer.entry)).status, "active")
    assert.strictEqual(Option.getOrThrow(await status(concertId, again.entry)).position, 1)
  })

  it("a lost entry passed over at the front leaves its user's newer entry to be dropped after the grace", async () => {
    const concertId = Effect.runSync(newId(ConcertId))
    const first = await join(concertId, Effect.runSync(newId(UserId)))
    const user = Effect.runSync(newId(UserId))
    const lost = await join(concertId, user)
    const other = await join(concertId, Effect.runSync(newId(UserId)))
    // The user's entry alone is lost; they join again, and their old token's place is still in the line.
    await client.hdel(keyOf(concertId, "entries"), userKeyOf(user))
    const again = await join(concertId, user)
    assert.isTrue(again.created)
    assert.notStrictEqual(again.entry.tokenId, lost.entry.tokenId)
    // The admission passes over the lost place and admits the next; the user's new entry keeps its sighting.
    await end(concertId, first.entry)
    assert.strictEqual(Option.getOrThrow(await status(concertId, other.entry)).status, "active")
    // The user stops polling: after the grace their new entry is dropped, as any silent waiter's is.
    const joinedAtMs = DateTime.toEpochMillis(again.entry.joinedAt)
    await advance(sightingMsOf(joinedAtMs) + Limits.waitingGraceSeconds * 1000 - joinedAtMs)
    assert.strictEqual(Option.getOrThrow(await status(concertId, again.entry)).status, "expired")
  })

  it("with the sequence counter lost, a newcomer still queues behind those waiting", async () => {
    const concertId = Effect.runSync(newId(ConcertId))
    const first = await join(concertId, Effect.runSync(newId(UserId)))
    const second = await join(concertId, Effect.runSync(newId(UserId)))
    await client.del(keyOf(concertId, "seq"))
    const third = await join(concertId, Effect.runSync(newId(UserId)))
    assert.strictEqual(first.entry.status, "active")
    assert.strictEqual(second.entry.position, 1)
    assert.strictEqual(third.entry.position, 2)
    assert.isAbove(third.entry.joinSequence, second.entry.joinSequence)
  })

  it("with the counter and the waiting index lost, a newcomer behind the step's base is still dropped after the grace", async () => {
    const longPolicy = new QueuePolicy({ maxActive: 1, activeSeconds: 3_600, admitPerMinute: null })
    const concertId = Effect.runSync(newId(ConcertId))
    const newUser = () => Effect.runSync(newId(UserId))
    await join(concertId, newUser(), longPolicy)
    await join(concertId, newUser(), longPolicy)
    const third = await join(concertId, newUser(), longPolicy)
    // The third's poll in the next step makes that step's bitmap, based at the front's sequence, 2.
    await advance(Limits.sightingStepSeconds * 1000)
    assert.strictEqual(Option.getOrThrow(await status(concertId, third.entry, longPolicy)).position, 2)
    await client.del(keyOf(concertId, "seq"), keyOf(concertId, "waiting"))
    const user = newUser()
    const newcomer = await join(concertId, user, longPolicy)
    assert.deepStrictEqual([newcomer.entry.joinSequence, newcomer.entry.position], [1, 1])
    // Sequence 1 has no bit in a bitmap based at 2: the sorted set keeps the newcomer's sighting.
    const joinedAtMs = DateTime.toEpochMillis(newcomer.entry.joinedAt)
    assert.strictEqual(Number(await client.zscore(keyOf(concertId, "seen"), userKeyOf(user))), sightingMsOf(joinedAtMs))
    await advance(sightingMsOf(joinedAtMs) + Limits.waitingGraceSeconds * 1000 - joinedAtMs)
    assert.strictEqual(Option.getOrThrow(await status(concertId, newcomer.entry, longPolicy)).status, "expired")
  })

  it("with the waiting index lost, a waiter's entry is ended rather than given a made-up place", async () => {
    const concertId = Effect.runSync(newId(ConcertId))
    await join(concertId, Effect.runSync(newId(UserId)))
    const waiter = await join(concertId, Effect.runSync(newId(UserId)))
    await client.del(keyOf(concertId, "waiting"))
    const after = await status(concertId, waiter.entry)
    assert.strictEqual(Option.getOrThrow(after).status, "expired")
  })

  it("join/leave loops keep one ended entry per user, not one per loop", async () => {
    const concertId = Effect.runSync(newId(ConcertId))
    const userId = Effect.runSync(newId(UserId))
    let last = await join(concertId, userId)
    for (let i = 0; i < 50; i++) {
      await end(concertId, last.entry)
      last = await join(concertId, userId)
    }
    assert.strictEqual(await client.hlen(keyOf(concertId, "entries")), 1)
    assert.strictEqual(await client.zcard(keyOf(concertId, "ended")), 0)
    await end(concertId, last.entry)
    assert.strictEqual(await client.hlen(keyOf(concertId, "entries")), 1)
    assert.strictEqual(Option.getOrThrow(await status(concertId, last.entry)).status, "expired")
  })
})

describe("Redis written by someone else", () => {
  it("an entry the scripts cannot have written is a defect naming it, never an answer built from it", async () => {
    const concertId = Effect.runSync(newId(ConcertId))
    await join(concertId, Effect.runSync(newId(UserId)))
    const waiter = await join(concertId, Effect.runSync(newId(UserId)))
    const entries = keyOf(concertId, "entries")
    // Entries are kept by the user's key (`LineKeys`).
    const user = userKeyOf(waiter.entry.userId)
    const packed = await client.hget(entries, user)
    // The waiter's packed entry with a state letter the scripts never write, then a join time in fractions of a
    // millisecond: both pass through the scripts, and the adapter must refuse them.
    const fields = packed!.split("|")
    for (const [index, value] of [
      [3, "x"],
      [2, "1.5"]
    ] as const) {
      const corrupted = fields.map((field, i) => (i === index ? value : field))
      await client.hset(entries, user, corrupted.join("|"))
      const exit = await runtime.runPromiseExit(Queue.use((queue) => queue.status(concertId, waiter.entry, policy)))
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause), `${value}: ${String(exit)}`)
      assert.include(String(Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)), "cannot have written")
    }
    // An entry that is not one at all stops the script itself.
    await client.hset(entries, user, "garbage")
    const unreadable = await runtime.runPromiseExit(Queue.use((queue) => queue.status(concertId, waiter.entry, policy)))
    assert.isTrue(Exit.isFailure(unreadable) && Cause.hasDies(unreadable.cause), String(unreadable))
    assert.include(String(Cause.squash((unreadable as Exit.Failure<unknown, unknown>).cause)), "cannot read: garbage")
    // Restored, the same entry answers as before.
    await client.hset(entries, user, packed!)
    assert.strictEqual(Option.getOrThrow(await status(concertId, waiter.entry)).position, 1)
  })
})

describe("eviction policy check", () => {
  it("warns when maxmemory-policy can evict queue keys, and is quiet on noeviction", async () => {
    const [, original] = (await client.config("GET", "maxmemory-policy")) as Array<string>
    const warnings: Array<string> = []
    const capture = Logger.layer([
      Logger.make((options) => {
        if (options.logLevel === "Warn") warnings.push(String(options.message))
      })
    ])
    try {
      await client.config("SET", "maxmemory-policy", "allkeys-lru")
      await Effect.runPromise(checkEvictionPolicy(client).pipe(Effect.provide(capture)))
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0]!, "allkeys-lru")
      await client.config("SET", "maxmemory-policy", "noeviction")
      await Effect.runPromise(checkEvictionPolicy(client).pipe(Effect.provide(capture)))
      assert.strictEqual(warnings.length, 1)
    } finally {
      await client.config("SET", "maxmemory-policy", original!)
    }
  })
})
