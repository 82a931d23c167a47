/**
 * A Redis that cannot be reached says so, with its address (never the
 * password) and the connection error: when the layer is built, so that
 * nothing is built over it, and on every call while it is away, instead of
 * ioredis's "Stream isn't writeable and enableOfflineQueue options is
 * false".
 */
import { ConcertId, newId, Queue, QueuePolicy, QueueTokenId, Unavailable, UserId } from "@boxoffice/core"
import { RedisQueue } from "@boxoffice/redis"
import { startTcpProxy } from "@boxoffice/testing"
import { Effect, Layer, ManagedRuntime, Redacted, Result } from "effect"
import { createServer } from "node:net"
import { afterAll, assert, describe, it } from "vitest"
import { connect, deleteKeys, runPrefix } from "./support/TestRedis.ts"

const prefix = runPrefix()
afterAll(async () => {
  const client = connect()
  await deleteKeys(client, prefix)
  await client.quit()
})

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 600, admitPerMinute: null })

describe("the messages of a Redis that cannot be reached", () => {
  it("a wrong port fails the layer's build with the address and the refused connection", async () => {
    const port = await closedPort()
    const layer = RedisQueue.layer({
      url: Redacted.make(`redis://:never-shown@127.0.0.1:${port}`),
      keyPrefix: prefix,
      timeoutMs: 1_000
    })
    const built = await Effect.runPromise(Effect.result(Effect.scoped(Layer.build(layer))))
    assert.isTrue(Result.isFailure(built))
    const error = (built as Result.Failure<unknown, Unavailable>).failure
    assert.instanceOf(error, Unavailable)
    assert.strictEqual(
      error.message,
      `the redis store at 127.0.0.1:${port} is unavailable, so nothing happened: connect ECONNREFUSED 127.0.0.1:${port}`
    )
    assert.notInclude(String(error), "never-shown")
  })

  it("calls during an outage name the address and the connection error", async () => {
    const proxy = await startTcpProxy(6379)
    const runtime = ManagedRuntime.make(
      RedisQueue.layer({ url: Redacted.make(`redis://127.0.0.1:${proxy.port}`), keyPrefix: prefix, timeoutMs: 1_000 })
    )
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
      assert.isTrue(Result.isSuccess(await join()))
      await proxy.cut()
      const refused = `the redis store at 127.0.0.1:${proxy.port} is unavailable, so nothing happened: connect ECONNREFUSED 127.0.0.1:${proxy.port}`
      // The first calls may still meet the connection as it closes; once the client has tried to reconnect,
      // every call names the refusal. None names ioredis's offline queue.
      const messages: Array<string> = []
      for (let i = 0; i < 50 && messages.at(-1) !== refused; i++) {
        const during = await join()
        assert.isTrue(Result.isFailure(during) && during.failure._tag === "Unavailable", JSON.stringify(during))
        messages.push((during as Result.Failure<unknown, Unavailable>).failure.message)
        if (messages.at(-1) !== refused) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      assert.strictEqual(messages.at(-1), refused)
      for (const message of messages) {
        assert.isTrue(message.startsWith(`the redis store at 127.0.0.1:${proxy.port} is unavailable`), message)
        assert.notInclude(message, "enableOfflineQueue")
      }
    } finally {
      await runtime.dispose()
      await proxy.close()
    }
  }, 30_000)
})
