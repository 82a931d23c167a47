/**
 * Proves that a line's log carries every change to it: after any run of joins (before and after a fair-start
 * opening), polls, leaves, admissions, expiries, abandonment, settings changes and the sold-out mark, a copy
 * that replays the whole log from nothing, and a copy read from the line's keys and brought up by the log,
 * both hold exactly the line Redis holds: the same waiters at the same places, the same pending and active
 * entries. And a log whose counter skips is refused, not applied.
 */
import {
  ConcertId,
  newId,
  Queue,
  QueuePolicy,
  type QueueSettingsChange,
  type QueueTokenHolder,
  QueueTokenId,
  UserId
} from "@boxoffice/core"
import { StoreClock } from "@boxoffice/testing"
import { DateTime, Effect } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { LineCopy } from "../src/internal/LineCopy.ts"
import { parseLogEntry } from "../src/internal/LineLog.ts"
import { applyLog, LogGap, readLine } from "../src/internal/LineSnapshot.ts"
import { queueKeyOf, tokenIdOfMember } from "../src/internal/LineKeys.ts"
import type { queueKeyNames } from "../src/internal/scripts.ts"
import { lineReaderOf } from "../src/Queue.ts"
import { queueForFile } from "./support/TestRedis.ts"

const { advance, client, prefix, runtime } = queueForFile()
const reader = lineReaderOf(client)

type Step =
  | { readonly kind: "join" | "status" | "end"; readonly user: number }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "configure"; readonly change: QueueSettingsChange }
  | { readonly kind: "soldOut"; readonly mark: boolean }

const users = 12
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("join" as const), user: fc.nat(users - 1) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("status" as const), user: fc.nat(users - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("end" as const), user: fc.nat(users - 1) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(1_000, 20_000, 61_000, 301_000) })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("configure" as const),
      change: fc.oneof(
        fc.record({ maxActive: fc.integer({ min: 1, max: 5 }) }),
        fc.record({ paused: fc.boolean() }),
        fc.record({ admitPerMinute: fc.constantFrom(null, 2, 4) }),
        fc.record({ activeSeconds: fc.constantFrom(30, 600) })
      )
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("soldOut" as const), mark: fc.boolean() }) }
)

const keyOf = (concertId: ConcertId, name: (typeof queueKeyNames)[number]) => queueKeyOf(prefix, concertId, name)

/** Runs the steps against the Redis queue; answers the tokens it made. */
const run = (concertId: ConcertId, policy: QueuePolicy, steps: ReadonlyArray<Step>) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const queue = yield* Queue
      const userIds = yield* Effect.forEach(Array.from({ length: users }), () => newId(UserId))
      const tokens = new Map<number, QueueTokenHolder>()
      for (const s of steps) {
        switch (s.kind) {
          case "join": {
            const joined = yield* Effect.result(
              queue.join({ tokenId: yield* newId(QueueTokenId), concertId, userId: userIds[s.user]!, policy })
            )
            if (joined._tag === "Success") tokens.set(s.user, joined.success.entry)
            break
          }
          case "status": {
            const token = tokens.get(s.user)
            if (token !== undefined) yield* queue.status(concertId, token, policy)
            break
          }
          case "end": {
            const token = tokens.get(s.user)
            if (token !== undefined) yield* queue.end(concertId, token, policy)
            break
          }
          case "advance":
            yield* StoreClock.use((clock) => clock.advance(s.ms))
            break
          case "configure":
            yield* queue.configure(concertId, s.change, policy)
            break
          case "soldOut":
            yield* s.mark ? queue.markSoldOut(concertId, policy) : queue.clearSoldOut(concertId, policy)
            break
        }
      }
      // A last call, so that what the last advance made due has happened.
      yield* queue.stats(concertId, policy)
    })
  )

/** The copy holds exactly what Redis holds: every waiter at their rank, every pending and active entry. */
const assertSameLine = async (copy: LineCopy, concertId: ConcertId, label: string) => {
  const waiting = (await client.zrange(keyOf(concertId, "waiting"), "0", "-1")).map(tokenIdOfMember)
  const pending = (await client.smembers(keyOf(concertId, "pending"))).map(tokenIdOfMember)
  const active = (await client.zrange(keyOf(concertId, "active"), "0", "-1")).map(tokenIdOfMember)
  assert.deepStrictEqual(copy.sizes, { waiting: waiting.length, pending: pending.length, active: active.length }, label)
  for (const [index, token] of waiting.entries()) assert.strictEqual(copy.positionOf(token), index + 1, label)
  for (const token of pending) assert.strictEqual(copy.stateOf(token), "p", label)
  for (const token of active) assert.strictEqual(copy.stateOf(token), "a", label)
}

/** Every entry of the log, replayed from nothing. */
const replayAll = async (concertId: ConcertId) => {
  const raw = (await client.xrange(keyOf(concertId, "log"), "-", "+")) as Array<[string, Array<string>]>
  const copy = new LineCopy()
  applyLog(
    copy,
    raw.map(([id, fields]) => parseLogEntry(id, fields[1]!)),
    true
  )
  return copy
}

describe("the line's log", () => {
  it("replayed from nothing, or over a snapshot of the keys, holds exactly the line Redis holds", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), fc.boolean(), async (steps, fairStart) => {
        const concertId = Effect.runSync(newId(ConcertId))
        const nowMs = await runtime.runPromise(StoreClock.use((clock) => clock.nowMs))
        const policy = new QueuePolicy({
          maxActive: 2,
          activeSeconds: 60,
          admitPerMinute: null,
          ...(fairStart ? { opensAt: DateTime.makeUnsafe(nowMs + 30_000) } : {})
        })
        await run(concertId, policy, steps)
        await assertSameLine(await replayAll(concertId), concertId, "replayed")
        await assertSameLine(await readLine(reader, keyOf(concertId, "seq")), concertId, "snapshot")
      }),
      { numRuns: 40 }
    )
  })

  it("a fair-start draw of 2,500 reaches the copy in its drawn order, over several log entries", async () => {
    const concertId = Effect.runSync(newId(ConcertId))
    const nowMs = await runtime.runPromise(StoreClock.use((clock) => clock.nowMs))
    const policy = new QueuePolicy({
      maxActive: 1,
      activeSeconds: 60,
      admitPerMinute: null,
      opensAt: DateTime.makeUnsafe(nowMs + 1_000)
    })
    await run(
      concertId,
      policy,
      Array.from({ length: users }, (_, user) => ({ kind: "join" as const, user }))
    )
    await runtime.runPromise(
      Effect.gen(function* () {
        const queue = yield* Queue
        for (let i = 0; i < 2_500 - users; i++) {
          yield* queue.join({ tokenId: yield* newId(QueueTokenId), concertId, userId: yield* newId(UserId), policy })
        }
      })
    )
    await advance(1_000)
    await runtime.runPromise(Queue.use((queue) => queue.stats(concertId, policy)))
    const copy = await replayAll(concertId)
    await assertSameLine(copy, concertId, "replayed")
    assert.strictEqual(copy.sizes.waiting, 2_499)
    await assertSameLine(await readLine(reader, keyOf(concertId, "seq")), concertId, "snapshot")
  })

  it("an entry whose counter does not follow the copy's is refused", () => {
    const copy = new LineCopy()
    applyLog(copy, [parseLogEntry("1-0", "1,1000;j,~t1,1,1000,w")], true)
    assert.throws(() => applyLog(copy, [parseLogEntry("3-0", "3,1000;j,~t2,2,1000,w")], true), LogGap)
    assert.strictEqual(copy.positionOf("t2"), null)
    assert.strictEqual(copy.positionOf("t1"), 1)
  })
})
