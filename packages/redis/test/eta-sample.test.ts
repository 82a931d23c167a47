/**
 * Proves that the status script's two numbers about the waited sample (the
 * oldest admission in the ETA window and how many came after it) are what
 * core's `waitedAdmissionsOf` makes of the whole sample, and its two about a
 * rate cap's window what `rateCapWindowOf` makes of the whole window: the
 * ETA a waiter is told equals core's rule over the admissions read from
 * Redis, for histories with ties, admissions older than the window, more
 * than a sample, and waiters laps behind a rate cap.
 */
import {
  ConcertId,
  etaSeconds,
  newId,
  Queue,
  QueuePolicy,
  type QueueTokenHolder,
  QueueTokenId,
  rateCapWindowOf,
  UserId,
  waitedAdmissionsOf
} from "@boxoffice/core"
import { queueKeys } from "@boxoffice/redis"
import { StoreClock } from "@boxoffice/testing"
import { Effect, Option } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { queueForFile } from "./support/TestRedis.ts"

const { client, prefix, runtime } = queueForFile()

const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 600, admitPerMinute: null })

/** The scores of a sorted set of the queue, ascending. */
const scoresOf = async (concertId: ConcertId, name: string) => {
  const key = queueKeys(prefix, concertId).find((k) => k.endsWith(`:${name}`))!
  const withScores = await client.zrange(key, "0", "-1", "WITHSCORES")
  return withScores.filter((_, i) => i % 2 === 1).map(Number)
}

describe("the ETA's view of the waited sample", () => {
  it("equals core's rule over the sample read from Redis", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Gaps between admissions in ms: ties (0), a steady pace, and gaps longer than the ETA window.
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5_000 }), fc.constant(400_000)), {
          minLength: 1,
          maxLength: 90
        }),
        async (gapsMs) => {
          const report = await runtime.runPromise(
            Effect.gen(function* () {
              const queue = yield* Queue
              const concertId = yield* newId(ConcertId)
              const join = Effect.gen(function* () {
                return (yield* queue.join({
                  tokenId: yield* newId(QueueTokenId),
                  concertId,
                  userId: yield* newId(UserId),
                  policy
                })).entry
              })
              // The first is admitted on arrival; each later one waits, then is admitted when the one before leaves.
              let active = yield* join
              let waiter = yield* join
              for (const gapMs of gapsMs) {
                const next = yield* join
                // Waiters who stop polling for 300 s lose their place: a long gap passes in steps, polled between.
                for (let leftMs = gapMs; leftMs > 0; leftMs -= 200_000) {
                  yield* StoreClock.use((clock) => clock.advance(Math.min(leftMs, 200_000)))
                  yield* queue.status(concertId, waiter, policy)
                  yield* queue.status(concertId, next, policy)
                }
                yield* queue.end(concertId, active, policy)
                active = waiter
                waiter = next
              }
              const last = yield* join
              const told = Option.getOrThrow(yield* queue.status(concertId, last, policy))
              const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
              return { concertId, told, nowMs }
            })
          )
          const sampleMs = await scoresOf(report.concertId, "waited")
          assert.isAtMost(sampleMs.length, 64)
          assert.strictEqual(report.told.status, "waiting")
          assert.strictEqual(
            report.told.etaSeconds,
            etaSeconds({
              policy,
              nowMs: report.nowMs,
              position: report.told.position!,
              activeCount: 1,
              waitedAdmissions: waitedAdmissionsOf(sampleMs, report.nowMs)
            })
          )
        }
      ),
      { numRuns: 40 }
    )
  }, 120_000)

  it("with a rate cap, equals core's rule over the window read from Redis, for waiters laps behind", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 40 }),
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30_000 }), fc.constant(61_000)), { maxLength: 12 }),
        async (ratePerMinute, users, gapsMs) => {
          const capped = new QueuePolicy({ maxActive: 1_000, activeSeconds: 600, admitPerMinute: ratePerMinute })
          const report = await runtime.runPromise(
            Effect.gen(function* () {
              const queue = yield* Queue
              const concertId = yield* newId(ConcertId)
              const tokens: Array<QueueTokenHolder> = []
              for (let i = 0; i < users; i++) {
                const tokenId = yield* newId(QueueTokenId)
                tokens.push(
                  (yield* queue.join({ tokenId, concertId, userId: yield* newId(UserId), policy: capped })).entry
                )
              }
              // Time passes; every waiter polls, which admits as the window frees.
              for (const gapMs of gapsMs) {
                yield* StoreClock.use((clock) => clock.advance(gapMs))
                for (const holder of tokens) yield* queue.status(concertId, holder, capped)
              }
              const told = yield* Effect.forEach(tokens, (holder) =>
                Effect.map(queue.status(concertId, holder, capped), Option.getOrThrow)
              )
              const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
              return { concertId, told: told.filter((entry) => entry.status === "waiting"), nowMs }
            })
          )
          const windowMs = await scoresOf(report.concertId, "admissions")
          const sampleMs = await scoresOf(report.concertId, "waited")
          for (const entry of report.told) {
            assert.strictEqual(
              entry.etaSeconds,
              etaSeconds({
                policy: capped,
                nowMs: report.nowMs,
                position: entry.position!,
                activeCount: users - report.told.length,
                waitedAdmissions: waitedAdmissionsOf(sampleMs, report.nowMs),
                rateCapWindow: rateCapWindowOf(windowMs, report.nowMs, entry.position!, ratePerMinute)
              })
            )
          }
        }
      ),
      { numRuns: 40 }
    )
  }, 120_000)
})
