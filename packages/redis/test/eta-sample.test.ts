/**
 * Proves that the status script's two numbers about the waited sample (the
 * oldest admission in the ETA window and how many came after it) are what
 * core's `waitedAdmissionsOf` makes of the whole sample: the ETA a waiter is
 * told equals core's rule over the sample read from Redis, for histories
 * with ties, admissions older than the window and more than a sample.
 */
import { ConcertId, etaSeconds, newId, Queue, QueuePolicy, QueueTokenId, UserId, waitedAdmissionsOf } from "@boxoffice/core"
import { queueKeys, RedisQueue } from "@boxoffice/redis"
import { StoreClock, suiteEpochMs } from "@boxoffice/testing"
import { Effect, Layer, ManagedRuntime, Option } from "effect"
import * as fc from "fast-check"
import { Redis } from "ioredis"
import { afterAll, assert, describe, it } from "vitest"
import { redisUrl } from "./support/TestRedis.ts"

const prefix = `boxoffice:test:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`
const client = new Redis(redisUrl)
const runtime = ManagedRuntime.make(
  Layer.merge(RedisQueue.layerFromClient(client, { keyPrefix: prefix, clock: "effect" }), StoreClock.layerManual(suiteEpochMs))
)
afterAll(async () => {
  const keys = await client.keys(`${prefix}*`)
  if (keys.length > 0) await client.del(...keys)
  await runtime.dispose()
  await client.quit()
})

const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 600, admitPerMinute: null })

describe("the ETA's view of the waited sample", () => {
  it("equals core's rule over the sample read from Redis", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Gaps between admissions in ms: ties (0), a steady pace, and gaps longer than the ETA window.
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5_000 }), fc.constant(400_000)), { minLength: 1, maxLength: 90 }),
        async (gapsMs) => {
          const report = await runtime.runPromise(Effect.gen(function*() {
            const queue = yield* Queue
            const concertId = yield* newId(ConcertId)
            const join = Effect.gen(function*() {
              return (yield* queue.join({ tokenId: yield* newId(QueueTokenId), concertId, userId: yield* newId(UserId), policy })).entry
            })
            // The first is admitted on arrival; each later one waits, then is admitted when the one before leaves.
            let active = yield* join
            let waiter = yield* join
            for (const gapMs of gapsMs) {
              const next = yield* join
              // Waiters who stop polling for 300 s lose their place: a long gap passes in steps, polled between.
              for (let leftMs = gapMs; leftMs > 0; leftMs -= 200_000) {
                yield* StoreClock.use((clock) => clock.advance(Math.min(leftMs, 200_000)))
                yield* queue.status(concertId, waiter.tokenId, policy)
                yield* queue.status(concertId, next.tokenId, policy)
              }
              yield* queue.end(concertId, active.tokenId, policy)
              active = waiter
              waiter = next
            }
            const last = yield* join
            const told = Option.getOrThrow(yield* queue.status(concertId, last.tokenId, policy))
            const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
            return { concertId, told, nowMs }
          }))
          const waitedKey = queueKeys(prefix, report.concertId).find((key) => key.endsWith(":waited"))!
          const withScores = await client.zrange(waitedKey, "0", "-1", "WITHSCORES")
          const sampleMs = withScores.filter((_, i) => i % 2 === 1).map(Number)
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
})
