/**
 * Proves each instance's copies of the Redis lines (issue 38):
 *
 * - two instances, 10,000 waiters: every waiter's place, answered from either instance's copy, is the store's
 *   rank, through an opening draw, joins, leaves, admissions, a cap change and a pause;
 * - the law: what a copy answers is a state the store was in at most the staleness bound earlier, and a waiter's
 *   place never rises (no draw in that run), while another instance joins and ends entries on real time;
 * - an instance that loses Redis for longer than the bound answers `Unavailable` (503), not the copy;
 * - a copy whose log was trimmed before it read it reads the line afresh and answers exactly.
 */
import {
  ConcertId,
  Limits,
  newId,
  type Queue,
  type QueueEntry,
  QueuePolicy,
  QueueStatusForDisplay,
  QueueTokenClaims,
  QueueTokenId,
  sightingMsOf,
  UserId
} from "@boxoffice/core"
import { StoreClock, startTcpProxy, suiteEpochMs } from "@boxoffice/testing"
import { DateTime, Effect, Exit, ManagedRuntime, Option, Scope } from "effect"
import { Redis } from "ioredis"
import { afterAll, assert, describe, it } from "vitest"
import type { LineCopiesOptions } from "../src/internal/LineCopies.ts"
import { displayReads, makeLineCopies, withLineCopies } from "../src/internal/LineCopies.ts"
import { copyAnswersWithinSeenMs, LineCopy } from "../src/internal/LineCopy.ts"
import { parseLogEntry } from "../src/internal/LineLog.ts"
import { applyLog, readLine } from "../src/internal/LineSnapshot.ts"
import { memberOf, queueKeyOf, tokenIdOfMember, tokenKeyOf, userKeyOf } from "../src/internal/LineKeys.ts"
import type { queueKeyNames } from "../src/internal/scripts.ts"
import { lineCallsOf, lineReaderOf, makeQueue, makeQueueWithCopies, scriptArguments } from "../src/Queue.ts"
import { connect, deleteKeys, redisUrl, runPrefix } from "./support/TestRedis.ts"

const prefix = runPrefix()
const clients: Array<Redis> = []
const scopes: Array<Scope.Closeable> = []
afterAll(async () => {
  for (const scope of scopes) await Effect.runPromise(Scope.close(scope, Exit.void))
  const cleaner = connect()
  await deleteKeys(cleaner, prefix)
  await cleaner.quit()
  for (const client of clients) client.disconnect()
})

const keyOf = (concertId: ConcertId, name: (typeof queueKeyNames)[number]) => queueKeyOf(prefix, concertId, name)
/** The tokens of a line's sorted set, in its order: its members are token and user keys (`LineKeys`). */
const tokensIn = async (client: Redis, key: string) => (await client.zrange(key, "0", "-1")).map(tokenIdOfMember)
const newConcert = () => Effect.runSync(newId(ConcertId))

/** One instance keeping copies, over a client of its own (`url` may be a proxy's). */
const instance = async (copies: LineCopiesOptions, clock: "server" | "effect", url = redisUrl) => {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000 })
  client.on("error", () => {})
  clients.push(client)
  await new Promise<void>((resolve) => (client.status === "ready" ? resolve() : client.once("ready", resolve)))
  const scope = await Effect.runPromise(Scope.make())
  scopes.push(scope)
  return Effect.runPromise(Scope.provide(scope)(makeQueueWithCopies(client, { keyPrefix: prefix, clock }, copies)))
}

/** Each token's claims, as `Booking` signs them from the joined entry. */
const holders = new Map<QueueTokenId, QueueTokenClaims>()
const withHolder = <A extends { readonly entry: QueueEntry }>(joined: A) => {
  const { tokenId, userId, concertId, joinedAt } = joined.entry
  holders.set(tokenId, QueueTokenClaims.trusted({ tokenId, userId, concertId, issuedAtMs: joinedAt.epochMilliseconds }))
  return joined
}

/**
 * A status read as a poll makes it: marked for display with the token's claims, so the copy may answer. A token
 * joined behind the queues' backs has made-up claims: only its place is read.
 */
const poll = (queue: Queue["Service"], concertId: ConcertId, tokenId: QueueTokenId, policy: QueuePolicy) => {
  const claims =
    holders.get(tokenId) ??
    QueueTokenClaims.trusted({ tokenId, userId: UserId.make(tokenId), concertId, issuedAtMs: 0 })
  return Effect.provideService(queue.status(concertId, claims, policy), QueueStatusForDisplay, claims)
}

/** Waits until `ready` holds, checking every few ms; fails after `withinMs`. */
const until = async (ready: () => boolean | Promise<boolean>, withinMs = 10_000, what = "the copies") => {
  const deadline = performance.now() + withinMs
  while (!(await ready())) {
    if (performance.now() > deadline) assert.fail(`${what} did not catch up within ${withinMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe("copies of a line on two instances", () => {
  it("answer every one of 10,000 waiters with the store's rank, through a draw, joins, leaves, admissions, a cap change and a pause", async () => {
    const runtime = ManagedRuntime.make(StoreClock.layerManual(suiteEpochMs))
    const run = <A, E>(effect: Effect.Effect<A, E, StoreClock>) => runtime.runPromise(effect)
    const copies = { stalenessMs: 1_000, tickMs: 20 }
    const [a, b] = [await instance(copies, "effect"), await instance(copies, "effect")]
    const plain = connect()
    clients.push(plain)
    const concertId = newConcert()
    const policy = new QueuePolicy({
      maxActive: 100,
      activeSeconds: 600,
      admitPerMinute: null,
      opensAt: DateTime.makeUnsafe(suiteEpochMs + 10_000)
    })
    const tokens: Array<QueueTokenId> = []
    const joinMany = (count: number) =>
      run(
        Effect.forEach(
          Array.from({ length: count }),
          (_, i) =>
            Effect.gen(function* () {
              const queue = i % 2 === 0 ? a.queue : b.queue
              const joined = withHolder(
                yield* queue.join({
                  tokenId: yield* newId(QueueTokenId),
                  concertId,
                  userId: yield* newId(UserId),
                  policy
                })
              )
              tokens.push(joined.entry.tokenId)
            }),
          { concurrency: 64, discard: true }
        )
      )
    /** Both copies hold the store's last change and answer; then every token's answer on each is the store's. */
    const checkpoint = async (label: string) => {
      const storeCounter = async () => Number((await plain.hget(keyOf(concertId, "settings"), "logSeq")) ?? 0)
      await until(async () => {
        const counter = await storeCounter()
        return [a, b].every(({ copies }) =>
          copies.followed().some((f) => f.concertId === concertId && f.answering && f.copy!.counter === counter)
        )
      })
      const waiting = await tokensIn(plain, keyOf(concertId, "waiting"))
      const rankOf = new Map(waiting.map((token, i) => [token, i + 1]))
      const pending = new Set((await plain.smembers(keyOf(concertId, "pending"))).map(tokenIdOfMember))
      const fromCopyBefore = displayReads.fromCopy
      for (const { queue } of [a, b]) {
        const answers = await run(
          Effect.forEach(tokens, (token) => poll(queue, concertId, token, policy), { concurrency: 256 })
        )
        for (const [i, answer] of answers.entries()) {
          const token = tokens[i]!
          const entry = Option.getOrUndefined(answer)
          if (rankOf.has(token)) {
            assert.deepStrictEqual(
              [entry?.status, entry?.position, entry?.userId, entry?.joinedAt.epochMilliseconds],
              ["waiting", rankOf.get(token), holders.get(token)!.userId, holders.get(token)!.issuedAtMs],
              `${label}: ${token}`
            )
          } else if (pending.has(token)) {
            assert.strictEqual(entry?.status, "pending", label)
          } else {
            assert.oneOf(entry?.status, ["active", "expired", undefined], label)
          }
        }
      }
      // Every pending and waiting answer came from a copy.
      assert.strictEqual(displayReads.fromCopy - fromCopyBefore, 2 * (waiting.length + pending.size), label)
    }

    await joinMany(5_000)
    await run(poll(a.queue, concertId, tokens[0]!, policy))
    await run(poll(b.queue, concertId, tokens[1]!, policy))
    await checkpoint("before the opening")
    await run(StoreClock.use((clock) => clock.advance(10_000)))
    await checkpoint("after the draw")
    await joinMany(5_000)
    await checkpoint("after more joins")
    // Leaves of waiters and of active users, from both instances.
    const active = await tokensIn(plain, keyOf(concertId, "active"))
    const waitingNow = await tokensIn(plain, keyOf(concertId, "waiting"))
    const leaving = [...active.slice(0, 50), ...waitingNow.filter((_, i) => i % 7 === 3)]
    await run(
      Effect.forEach(
        leaving,
        (token, i) => (i % 2 === 0 ? a.queue : b.queue).end(concertId, holders.get(token as QueueTokenId)!, policy),
        { concurrency: 32, discard: true }
      )
    )
    await checkpoint("after leaves and admissions")
    await run(a.queue.configure(concertId, { maxActive: 400 }, policy))
    await checkpoint("after a cap change")
    await run(b.queue.configure(concertId, { paused: true }, policy))
    const activeNow = await tokensIn(plain, keyOf(concertId, "active"))
    await run(
      Effect.forEach(
        activeNow.slice(0, 100),
        (token) => a.queue.end(concertId, holders.get(token as QueueTokenId)!, policy),
        {
          discard: true
        }
      )
    )
    await checkpoint("paused, after leaves")
    await run(a.queue.configure(concertId, { paused: false }, policy))
    await checkpoint("resumed")
    await runtime.dispose()
  }, 120_000)
})

describe("the law of a copy", () => {
  it("answers a state the store was in at most the staleness bound earlier, and no place ever rises", async () => {
    const stalenessMs = 1_000
    const reader = await instance({ stalenessMs, tickMs: 50 }, "server")
    const driverClient = connect()
    clients.push(driverClient)
    const driver = makeQueue(driverClient, { keyPrefix: prefix })
    const concertId = newConcert()
    const policy = new QueuePolicy({ maxActive: 20, activeSeconds: 600, admitPerMinute: null })
    const tokens: Array<QueueTokenId> = []
    const join = () =>
      Effect.runPromise(
        Effect.gen(function* () {
          const joined = withHolder(
            yield* driver.join({ tokenId: yield* newId(QueueTokenId), concertId, userId: yield* newId(UserId), policy })
          )
          tokens.push(joined.entry.tokenId)
        })
      )
    for (let i = 0; i < 100; i++) await join()
    await Effect.runPromise(poll(reader.queue, concertId, tokens[50]!, policy))
    // The driver joins and ends entries on real time while the reader polls its copy.
    const answers: Array<{ readonly atMs: number; readonly token: string; readonly position: number }> = []
    let driving = true
    const drive = (async () => {
      for (let step = 0; driving; step++) {
        if (step % 3 === 0) {
          const active = (await tokensIn(driverClient, keyOf(concertId, "active"))).slice(0, 1)
          const waiting = await tokensIn(driverClient, keyOf(concertId, "waiting"))
          const leaving = step % 2 === 0 ? active[0] : waiting[(step * 7) % Math.max(1, waiting.length)]
          if (leaving !== undefined)
            await Effect.runPromise(driver.end(concertId, holders.get(leaving as QueueTokenId)!, policy))
        } else {
          await join()
        }
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
    const fromCopyBefore = displayReads.fromCopy
    const pollUntil = performance.now() + 3_000
    while (performance.now() < pollUntil) {
      for (const token of tokens.slice(0, 300)) {
        const entry = Option.getOrUndefined(await Effect.runPromise(poll(reader.queue, concertId, token, policy)))
        if (entry?.status === "waiting") answers.push({ atMs: Date.now(), token, position: entry.position! })
      }
    }
    driving = false
    await drive
    assert.isAbove(displayReads.fromCopy - fromCopyBefore, 1_000, "the copy answered too few polls to judge it")

    // The store's states, in order, each from when the script that made it ran (Redis's own clock).
    const raw = (await driverClient.xrange(keyOf(concertId, "log"), "-", "+")) as Array<[string, Array<string>]>
    const entries = raw.map(([id, fields]) => parseLogEntry(id, fields[1]!))
    const replay = new LineCopy()
    const watched = [...new Set(answers.map((answer) => answer.token))]
    const statesAtMs: Array<number> = []
    const positions: Array<Map<string, number | null>> = []
    for (const entry of entries) {
      applyLog(replay, [entry], true)
      statesAtMs.push(entry.atMs)
      positions.push(new Map(watched.map((token) => [token, replay.positionOf(token)])))
    }
    // The state in force at `ms`: the last made at or before it.
    const stateAt = (ms: number) => {
      let low = 0
      let high = statesAtMs.length
      while (low < high) {
        const middle = (low + high) >>> 1
        if (statesAtMs[middle]! <= ms) low = middle + 1
        else high = middle
      }
      return low - 1
    }
    const lastPosition = new Map<string, number>()
    for (const answer of answers) {
      // Every state in force at some time in [atMs - bound, atMs] (a millisecond either side: two clocks' rounding).
      const first = Math.max(0, stateAt(answer.atMs - stalenessMs - 1))
      const last = stateAt(answer.atMs + 1)
      const held = new Set<number | null>()
      for (let i = first; i <= last; i++) held.add(positions[i]!.get(answer.token)!)
      assert.isTrue(
        held.has(answer.position),
        `${answer.token} answered ${answer.position} at ${answer.atMs}; the store held ${[...held].join(", ")}`
      )
      const before = lastPosition.get(answer.token)
      if (before !== undefined) assert.isAtMost(answer.position, before, "a place rose")
      lastPosition.set(answer.token, answer.position)
    }
    console.log(
      `[redis, copies] law: ${answers.length} answers of ${watched.length} waiters checked against ${entries.length} states`
    )
  }, 60_000)
})

describe("a copy whose instance loses Redis", () => {
  it("answers unavailable once its last state is older than the bound, not the copy, and answers again once Redis is back", async () => {
    const proxy = await startTcpProxy(6379)
    const stalenessMs = 300
    const reader = await instance({ stalenessMs, tickMs: 20 }, "server", `redis://127.0.0.1:${proxy.port}`)
    const concertId = newConcert()
    const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 600, admitPerMinute: null })
    const joined = await Effect.runPromise(
      Effect.forEach(Array.from({ length: 5 }), () =>
        Effect.gen(function* () {
          return withHolder(
            yield* reader.queue.join({
              tokenId: yield* newId(QueueTokenId),
              concertId,
              userId: yield* newId(UserId),
              policy
            })
          )
        })
      )
    )
    const last = joined[4]!.entry.tokenId
    await until(() => reader.copies.followed().some((f) => f.concertId === concertId && f.answering))
    const fromCopyBefore = displayReads.fromCopy
    const before = await Effect.runPromise(poll(reader.queue, concertId, last, policy))
    assert.strictEqual(displayReads.fromCopy, fromCopyBefore + 1)
    assert.strictEqual(Option.getOrThrow(before).position, 4)

    await proxy.cut()
    const cutAtMs = performance.now()
    // Polls go on: answered from the copy while its last state is within the bound, then refused.
    let refused: unknown
    for (;;) {
      const exit = await Effect.runPromiseExit(poll(reader.queue, concertId, last, policy))
      const atMs = performance.now()
      if (Exit.isFailure(exit)) {
        refused = exit.cause
        break
      }
      assert.isAtMost(atMs - cutAtMs, stalenessMs + 50, "a copy older than the bound answered")
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    assert.include(String(refused), "Unavailable")

    await proxy.restore()
    await until(() => reader.copies.followed().some((f) => f.concertId === concertId && f.answering), 20_000)
    const after = await Effect.runPromise(poll(reader.queue, concertId, last, policy))
    assert.deepStrictEqual([Option.getOrThrow(after).status, Option.getOrThrow(after).position], ["waiting", 4])
    await proxy.close()
  }, 60_000)
})

describe("a copy whose log was trimmed", () => {
  it("reads the line afresh and answers every waiter exactly", async () => {
    const reader = await instance({ stalenessMs: 1_000, tickMs: 20 }, "server")
    const other = connect()
    clients.push(other)
    const otherQueue = makeQueue(other, { keyPrefix: prefix })
    const concertId = newConcert()
    const policy = new QueuePolicy({ maxActive: 2, activeSeconds: 600, admitPerMinute: null })
    const tokens: Array<QueueTokenId> = []
    const joinOn = (queue: Queue["Service"]) =>
      Effect.runPromise(
        Effect.gen(function* () {
          const joined = withHolder(
            yield* queue.join({ tokenId: yield* newId(QueueTokenId), concertId, userId: yield* newId(UserId), policy })
          )
          tokens.push(joined.entry.tokenId)
        })
      )
    for (let i = 0; i < 20; i++) await joinOn(reader.queue)
    const followed = () => reader.copies.followed().find((f) => f.concertId === concertId)
    await until(() => followed()?.answering === true)
    const copyBefore = followed()!.copy
    // Behind the copy's back: a leave at the front and three joins, then the log trimmed to its last entry, in one
    // transaction, so the copy never reads the entries it needs.
    const trimmed = other.multi()
    const commands = trimmed as unknown as Record<string, (...args: Array<string | number>) => unknown>
    commands["boxofficeEnd"]!(...scriptArguments(prefix, concertId, "", policy), memberOf(holders.get(tokens[3]!)!))
    for (let i = 0; i < 3; i++) {
      const token = Effect.runSync(newId(QueueTokenId))
      const userId = Effect.runSync(newId(UserId))
      tokens.push(token)
      holders.set(token, QueueTokenClaims.trusted({ tokenId: token, userId, concertId, issuedAtMs: 0 }))
      commands["boxofficeJoin"]!(
        ...scriptArguments(prefix, concertId, "", policy),
        userKeyOf(userId),
        tokenKeyOf(token)
      )
    }
    trimmed.xtrim(keyOf(concertId, "log"), "MAXLEN", 1)
    // The other instance registered the scripts on its client; a queue made over it did that.
    void otherQueue
    await trimmed.exec()
    await until(() => followed()?.answering === true && followed()!.copy !== copyBefore)
    const waiting = await tokensIn(other, keyOf(concertId, "waiting"))
    assert.strictEqual(waiting.length, 20 - 2 - 1 + 3)
    for (const [i, token] of waiting.entries()) {
      const entry = Option.getOrThrow(
        await Effect.runPromise(poll(reader.queue, concertId, token as QueueTokenId, policy))
      )
      assert.deepStrictEqual([entry.status, entry.position], ["waiting", i + 1])
    }
  }, 30_000)
})

/**
 * `count` users who joined before the opening on an instance without copies and were drawn into the line at it: a
 * copy read from the keys does not know when the store last saw them (drawn waiters are sighted in `seen`, which it
 * does not read). Their members and tokens in the line's order (the first drawn was admitted), and the sale's policy.
 */
const drawnBehindTheBack = async (concertId: ConcertId, count: number) => {
  const other = connect()
  clients.push(other)
  const driver = makeQueue(other, { keyPrefix: prefix })
  const opensAtMs = Date.now() + 2_000
  const policy = new QueuePolicy({
    maxActive: 1,
    activeSeconds: 600,
    admitPerMinute: null,
    opensAt: DateTime.makeUnsafe(opensAtMs)
  })
  const statuses = await Effect.runPromise(
    Effect.forEach(
      Array.from({ length: count }),
      () =>
        Effect.gen(function* () {
          const joined = yield* driver.join({
            tokenId: yield* newId(QueueTokenId),
            concertId,
            userId: yield* newId(UserId),
            policy
          })
          return withHolder(joined).entry.status
        }),
      { concurrency: 64 }
    )
  )
  assert.deepStrictEqual([...new Set(statuses)], ["pending"])
  // The opening is a time on Redis's clock, which is the wall clock: the draw waits for it.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, opensAtMs - Date.now() + 50)))
  await Effect.runPromise(driver.stats(concertId, policy))
  const members = await other.zrange(keyOf(concertId, "waiting"), "0", "-1")
  assert.strictEqual(members.length, count - 1)
  return { members, tokens: members.map((member) => tokenIdOfMember(member) as QueueTokenId), policy }
}

/** A report of seen waiters, with how many of them the store saw (null: the report failed on the way). */
interface SeenReport {
  readonly members: ReadonlyArray<string>
  readonly seenCount: number | null
  readonly atMs: number
}

/**
 * An instance with copies whose reports of seen waiters are recorded with the store's answer. `failFirst`: its
 * first report fails on the way, as a connection cut mid-call would fail it.
 */
const reportingInstance = async (failFirst: boolean) => {
  const client = connect()
  clients.push(client)
  const real = lineCallsOf(client, prefix)
  const reports: Array<SeenReport> = []
  const calls = {
    ...real,
    seen: async (...args: Parameters<typeof real.seen>) => {
      if (failFirst && reports.length === 0) {
        reports.push({ members: args[3], seenCount: null, atMs: Date.now() })
        throw new Error("the connection was cut")
      }
      const seenCount = await real.seen(...args)
      reports.push({ members: args[3], seenCount, atMs: Date.now() })
      return seenCount
    }
  }
  const scope = await Effect.runPromise(Scope.make())
  scopes.push(scope)
  const copies = await Effect.runPromise(
    Scope.provide(scope)(
      makeLineCopies({
        keyPrefix: prefix,
        clock: "server",
        calls,
        reader: lineReaderOf(client),
        copies: { stalenessMs: 1_000, tickMs: 20 }
      })
    )
  )
  return { queue: withLineCopies(makeQueue(client, { keyPrefix: prefix }, copies), copies), copies, reports }
}

/** Whether every one of `members` is in a report the store answered. */
const reportedAll = (reports: ReadonlyArray<SeenReport>, members: ReadonlyArray<string>) => {
  const sent = new Set(reports.filter((report) => report.seenCount !== null).flatMap((report) => report.members))
  return members.every((member) => sent.has(member))
}

describe("a copy read from the line's keys", () => {
  it("knows from the steps' bitmaps when the store last saw each waiter, and asks the store past that", async () => {
    const client = connect()
    clients.push(client)
    makeQueue(client, { keyPrefix: prefix })
    const commands = client as unknown as Record<string, (...args: Array<string>) => Promise<unknown>>
    /** Three users join at `atMs`, behind the copy's back; their tokens. */
    const joinThree = async (concertId: ConcertId, policy: QueuePolicy, atMs: number) => {
      const tokens: Array<QueueTokenId> = []
      for (let i = 0; i < 3; i++) {
        const token = Effect.runSync(newId(QueueTokenId))
        const userId = Effect.runSync(newId(UserId))
        tokens.push(token)
        holders.set(token, QueueTokenClaims.trusted({ tokenId: token, userId, concertId, issuedAtMs: atMs }))
        await commands["boxofficeJoin"]!(
          ...scriptArguments(prefix, concertId, String(atMs), policy).map(String),
          userKeyOf(userId),
          tokenKeyOf(token)
        )
      }
      return tokens
    }
    const joinedAtMs = Date.now()
    const sightedMs = sightingMsOf(joinedAtMs)
    // Waiters who joined while the line was open: their step's bitmap says when the store last saw them.
    const open = newConcert()
    const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 3_600, admitPerMinute: null })
    const waiter = (await joinThree(open, policy, joinedAtMs))[2]!
    const copy = await readLine(lineReaderOf(client), keyOf(open, "seq"))
    const known = copy.answer(open, waiter, holders.get(waiter)!, policy, sightedMs + copyAnswersWithinSeenMs)
    assert.deepStrictEqual([known?.status, known?.position], ["waiting", 2])
    assert.isUndefined(copy.answer(open, waiter, holders.get(waiter)!, policy, sightedMs + copyAnswersWithinSeenMs + 1))
    // Waiters drawn at the opening are sighted in seen, which the copy does not read: it answers them only until a
    // grace after the earliest score there, when the store may have ended any of them.
    const drawn = newConcert()
    const opensAtMs = joinedAtMs + 60_000
    const fairStart = new QueuePolicy({ ...policy, opensAt: DateTime.makeUnsafe(opensAtMs) })
    const tokens = await joinThree(drawn, fairStart, joinedAtMs)
    await commands["boxofficeStats"]!(...scriptArguments(prefix, drawn, String(opensAtMs), fairStart).map(String))
    const drawnCopy = await readLine(lineReaderOf(client), keyOf(drawn, "seq"))
    const graceEndsMs = sightedMs + Limits.waitingGraceSeconds * 1000
    // The draw admitted one at once (its answer is the store's); two wait.
    const waiting = tokens.filter((token) =>
      drawnCopy.answer(drawn, token, holders.get(token)!, fairStart, graceEndsMs - 1)
    )
    assert.deepStrictEqual(
      waiting
        .map((token) => drawnCopy.answer(drawn, token, holders.get(token)!, fairStart, graceEndsMs - 1)?.position)
        .sort(),
      [1, 2]
    )
    for (const token of waiting) {
      assert.isUndefined(drawnCopy.answer(drawn, token, holders.get(token)!, fairStart, graceEndsMs))
    }
  })

  it("answers waiters whose last-seen time it does not know, and reports every one of them at its next tick", async () => {
    const concertId = newConcert()
    // More waiters than one report carries, drawn at the opening on an instance without copies.
    const { members, tokens, policy } = await drawnBehindTheBack(concertId, 2_501)
    // A new instance's first poll is the store's, and starts the copy, which it reads from the keys.
    const reader = await reportingInstance(false)
    await Effect.runPromise(poll(reader.queue, concertId, tokens[0]!, policy))
    await until(() => reader.copies.followed().some((f) => f.concertId === concertId && f.answering))
    const fromCopyBefore = displayReads.fromCopy
    const answers = await Effect.runPromise(
      Effect.forEach(tokens, (token) => poll(reader.queue, concertId, token, policy), { concurrency: 64 })
    )
    for (const [i, answer] of answers.entries()) {
      assert.deepStrictEqual([Option.getOrThrow(answer).status, Option.getOrThrow(answer).position], ["waiting", i + 1])
    }
    assert.strictEqual(displayReads.fromCopy - fromCopyBefore, tokens.length)
    // Each waiter it answered without knowing when the store last saw them is reported at its next tick: all
    // 2,499 (the first was seen by the store's own poll), in reports of 1,000 one after another, not a second
    // apart, so that none waits while their grace may be running out. The store sees every one it is told of.
    await until(() => reportedAll(reader.reports, members.slice(1)), 10_000, "the seen reports")
    const times = reader.reports.map((report) => report.atMs)
    assert.isBelow(Math.max(...times) - Math.min(...times), 1_000)
    for (const report of reader.reports) assert.strictEqual(report.seenCount, report.members.length)
    // A read that brings another token's claims is the store's: it names the entry's own user, not theirs.
    const [asked, another] = [tokens[5]!, tokens[6]!]
    const mismatched = await Effect.runPromise(
      Effect.provideService(
        reader.queue.status(concertId, holders.get(asked)!, policy),
        QueueStatusForDisplay,
        holders.get(another)!
      )
    )
    assert.strictEqual(Option.getOrThrow(mismatched).userId, holders.get(asked)!.userId)
    assert.notStrictEqual(holders.get(asked)!.userId, holders.get(another)!.userId)
  }, 60_000)
})

describe("a report of seen waiters that fails", () => {
  it("is kept and sent again at the next tick, so no waiter it carried loses their place", async () => {
    const concertId = newConcert()
    const { members, tokens, policy } = await drawnBehindTheBack(concertId, 51)
    // An instance whose first report of seen waiters fails on the way, as a connection cut mid-call would fail it.
    const reader = await reportingInstance(true)
    // The first poll is the store's and starts the copy; the others are answered from it, with no last-seen time.
    await Effect.runPromise(poll(reader.queue, concertId, tokens[0]!, policy))
    await until(() => reader.copies.followed().some((f) => f.concertId === concertId && f.answering))
    const answers = await Effect.runPromise(
      Effect.forEach(tokens.slice(1), (token) => poll(reader.queue, concertId, token, policy))
    )
    assert.deepStrictEqual(
      answers.map((answer) => Option.getOrThrow(answer).position),
      tokens.slice(1).map((_, i) => i + 2)
    )
    // Every waiter the failed report carried is reported again, and the store sees each of them.
    await until(() => reportedAll(reader.reports, members.slice(1)), 10_000, "the report sent again")
    const failed = reader.reports.filter((report) => report.seenCount === null).flatMap((report) => report.members)
    assert.isAbove(failed.length, 0)
    for (const report of reader.reports.filter((report) => report.seenCount !== null)) {
      assert.strictEqual(report.seenCount, report.members.length)
    }
  }, 30_000)
})
