/**
 * Proves that with Redis unreachable, queue calls fail fast with
 * `unavailable` instead of hanging, and work again once it is back, in the
 * same process with the same client.
 */
import { ConcertId, newId, Queue, QueuePolicy, QueueTokenId, UserId } from "@boxoffice/core"
import { RedisQueue } from "@boxoffice/redis"
import { startTcpProxy } from "@boxoffice/testing"
import { Effect, ManagedRuntime, Option, Redacted, Result } from "effect"
import { afterAll, assert, describe, it } from "vitest"
import { connect, deleteKeys, runPrefix } from "./support/TestRedis.ts"

const prefix = runPrefix()
afterAll(async () => {
  const client = connect()
  await deleteKeys(client, prefix)
  await client.quit()
})

describe("Redis outage", () => {
  it("calls fail fast with unavailable during the outage and recover without a restart", async () => {
    const proxy = await startTcpProxy(6379)
    const runtime = ManagedRuntime.make(
      RedisQueue.layer({ url: Redacted.make(`redis://127.0.0.1:${proxy.port}`), keyPrefix: prefix, timeoutMs: 1_000 })
    )
    const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 600, admitPerMinute: null })
    const concertId = Effect.runSync(newId(ConcertId))
    const join = () =>
      runtime.runPromise(
        Effect.result(
          Effect.gen(function* () {
            const queue = yield* Queue
            return yield* queue.join({
              tokenId: yield* newId(QueueTokenId),
              concertId,
              userId: yield* newId(UserId),
              policy
            })
          })
        )
      )
    try {
      let first = await join()
      for (let i = 0; i < 20 && Result.isFailure(first); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        first = await join()
      }
      assert.isTrue(Result.isSuccess(first) && first.success.entry.status === "active")

      await proxy.cut()
      for (let i = 0; i < 3; i++) {
        const started = performance.now()
        const during = await join()
        const elapsedMs = performance.now() - started
        assert.isTrue(Result.isFailure(during) && during.failure._tag === "Unavailable", JSON.stringify(during))
        assert.isBelow(elapsedMs, 3_000)
      }

      await proxy.restore()
      let after = await join()
      for (let i = 0; i < 50 && Result.isFailure(after); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        after = await join()
      }
      assert.isTrue(Result.isSuccess(after), "no recovery without a restart")
      // The entry made before the outage is still there, and the new one waits behind it.
      if (Result.isSuccess(after) && Result.isSuccess(first)) {
        assert.strictEqual(after.success.entry.status, "waiting")
        assert.strictEqual(after.success.entry.position, 1)
        const still = await runtime.runPromise(Queue.use((q) => q.status(concertId, first.success.entry, policy)))
        assert.strictEqual(Option.getOrThrow(still).status, "active")
      }
    } finally {
      await runtime.dispose()
      await proxy.close()
    }
  }, 60_000)
})
