/**
 * Proves the rate cap and the ETA on the Redis queue with time moved by
 * hand (the scripts read the test's clock): admissions never exceed
 * admitPerMinute in any 60-second window, and in a steady state the ETA a
 * waiter is given comes within 20% of the wait they actually have.
 */
import { ConcertId, newId, type QueueEntry, QueuePolicy, QueueTokenId, UserId } from "@boxoffice/core"
import { StoreClock, suiteEpochMs } from "@boxoffice/testing"
import { DateTime, Effect, Layer, ManagedRuntime, Option } from "effect"
import type { Redis } from "ioredis"
import { afterAll, assert, describe, it } from "vitest"
import { makeQueue } from "../src/Queue.ts"
import { connect, deleteKeys, runPrefix } from "./support/TestRedis.ts"

const prefix = runPrefix()
let client: Redis | undefined
afterAll(async () => {
  await deleteKeys(client!, prefix)
  await client!.quit()
})

interface Waiter {
  readonly tokenId: QueueTokenId
  readonly userId: UserId
  admittedAtMs: number | null
  /** ETA samples taken while waiting: when, and what it promised. */
  readonly promises: Array<{ readonly atMs: number; readonly position: number; readonly etaSeconds: number }>
}

/**
 * Runs a queue second by second: everyone waiting polls each second, and an
 * admitted user leaves after `staySeconds(user)`.
 */
const simulate = async (options: {
  readonly policy: QueuePolicy
  readonly users: number
  readonly seconds: number
  readonly staySeconds: (user: number) => number
}) => {
  client ??= connect()
  const runtime = ManagedRuntime.make(Layer.merge(StoreClock.layerManual(suiteEpochMs), Layer.empty))
  const queue = makeQueue(client, { keyPrefix: prefix, clock: "effect" })
  const concertId = Effect.runSync(newId(ConcertId))
  const waiters: Array<Waiter> = []
  const observe = (waiter: Waiter, entry: QueueEntry, nowMs: number) => {
    if (entry.admittedAt !== null && waiter.admittedAtMs === null)
      waiter.admittedAtMs = DateTime.toEpochMillis(entry.admittedAt)
    if (entry.status === "waiting")
      waiter.promises.push({ atMs: nowMs, position: entry.position!, etaSeconds: entry.etaSeconds! })
  }
  await runtime.runPromise(
    Effect.gen(function* () {
      for (let i = 0; i < options.users; i++) {
        const { entry } = yield* queue.join({
          tokenId: yield* newId(QueueTokenId),
          concertId,
          userId: yield* newId(UserId),
          policy: options.policy
        })
        const waiter: Waiter = { tokenId: entry.tokenId, userId: entry.userId, admittedAtMs: null, promises: [] }
        waiters.push(waiter)
        observe(waiter, entry, suiteEpochMs)
      }
      for (let second = 1; second <= options.seconds; second++) {
        yield* StoreClock.use((clock) => clock.advance(1_000))
        const nowMs = suiteEpochMs + second * 1_000
        for (const [user, waiter] of waiters.entries()) {
          if (waiter.admittedAtMs !== null) {
            if (nowMs - waiter.admittedAtMs === options.staySeconds(user) * 1_000) {
              yield* queue.end(concertId, waiter, options.policy)
            }
            continue
          }
          const entry = yield* queue.status(concertId, waiter, options.policy)
          if (Option.isSome(entry)) observe(waiter, entry.value, nowMs)
        }
      }
    })
  )
  await runtime.dispose()
  return waiters
}

/** The most admissions in any window (t − 60 s, t]. */
const busiestMinute = (timesMs: ReadonlyArray<number>) => {
  const sorted = [...timesMs].sort((a, b) => a - b)
  let most = 0
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[start]! <= sorted[end]! - 60_000) start++
    most = Math.max(most, end - start + 1)
  }
  return most
}

/** Every ETA promised in the steady state, against the wait that followed. */
const etaErrors = (waiters: ReadonlyArray<Waiter>, fromMs: number, minimumPosition: number) =>
  waiters.flatMap((w) =>
    w.admittedAtMs === null
      ? []
      : w.promises
          .filter((p) => p.atMs >= fromMs && p.position >= minimumPosition)
          .map((p) => {
            const actualSeconds = (w.admittedAtMs! - p.atMs) / 1000
            return { ...p, actualSeconds, error: Math.abs(p.etaSeconds - actualSeconds) / actualSeconds }
          })
  )

describe("Redis queue admission rate and ETA", () => {
  it("admitPerMinute is never exceeded in any 60-second window, and the ETA follows the rate schedule", async () => {
    const policy = new QueuePolicy({ maxActive: 10_000, activeSeconds: 3_600, admitPerMinute: 30 })
    const waiters = await simulate({ policy, users: 150, seconds: 330, staySeconds: () => 10_000 })
    const admitted = waiters.flatMap((w) => (w.admittedAtMs === null ? [] : [w.admittedAtMs]))
    assert.strictEqual(busiestMinute(admitted), 30)
    // 30 on arrival, then 30 more each time the window empties: at 60, 120, 180, 240 and 300 s.
    assert.strictEqual(admitted.length, 150)
    const errors = etaErrors(waiters, suiteEpochMs + 60_000, 1)
    assert.isAbove(errors.length, 1_000)
    const worst = Math.max(...errors.map((e) => e.error))
    console.log(`[redis eta] rate-bound: ${errors.length} promises, worst error ${(worst * 100).toFixed(1)}%`)
    assert.isAtMost(worst, 0.2)
  }, 120_000)

  it("with slots turning over, the ETA comes within 20% of the actual wait in the steady state", async () => {
    const policy = new QueuePolicy({ maxActive: 10, activeSeconds: 600, admitPerMinute: null })
    // Each admitted user stays 15 to 25 s: about one admission every 2 s.
    const waiters = await simulate({ policy, users: 220, seconds: 420, staySeconds: (user) => 15 + ((user * 7) % 11) })
    // Near the front, the wait depends on which of the 10 active users happens to leave next; further
    // back, that noise averages out. So: the mean from position 10, and every promise from position 30.
    const near = etaErrors(waiters, suiteEpochMs + 120_000, 10)
    const far = near.filter((e) => e.position >= 30)
    assert.isAbove(far.length, 1_000)
    const mean = near.reduce((sum, e) => sum + e.error, 0) / near.length
    const worstNear = Math.max(...near.map((e) => e.error))
    const worstFar = Math.max(...far.map((e) => e.error))
    console.log(
      `[redis eta] slot-bound: ${near.length} promises at positions ≥ 10, mean error ${(mean * 100).toFixed(1)}%, ` +
        `worst ${(worstNear * 100).toFixed(1)}%; ${far.length} at positions ≥ 30, worst ${(worstFar * 100).toFixed(1)}%`
    )
    assert.isAtMost(mean, 0.2)
    assert.isAtMost(worstFar, 0.2)
  }, 120_000)
})
