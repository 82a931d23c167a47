/**
 * A key prefix per test run, so runs never see each other's keys, and a
 * cleanup that deletes them afterwards.
 */
import { MemoryStores } from "@boxoffice/memory"
import { type RedisClient, RedisQueue, type RedisQueueOptions } from "@boxoffice/redis"
import { type AdapterUnderTest, StoreClock, StoreStall, suiteEpochMs } from "@boxoffice/testing"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Redis } from "ioredis"
import { afterAll } from "vitest"

/** Where the machine's Redis listens. Override with BOXOFFICE_TEST_REDIS. */
export const redisUrl = process.env["BOXOFFICE_TEST_REDIS"] ?? "redis://127.0.0.1:6379"

export const runPrefix = () => `boxoffice:test:${process.pid}:${Math.random().toString(36).slice(2, 10)}:`

export const connect = (url = redisUrl) => {
  const client = new Redis(url, { enableOfflineQueue: true, maxRetriesPerRequest: 1 })
  client.on("error", () => {})
  return client
}

/** Deletes every key under `prefix`. */
export const deleteKeys = async (client: Redis, prefix: string): Promise<number> => {
  let deleted = 0
  let cursor = "0"
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000)
    cursor = next
    if (keys.length > 0) deleted += await client.del(...keys)
  } while (cursor !== "0")
  return deleted
}

/**
 * The Redis queue under the suites, with the other stores in memory. Each
 * build gets its own key prefix; the scripts read the suites' manual clock.
 */
export const redisAdapter = (
  client: () => RedisClient,
  prefix: string,
  name = "redis",
  options: Pick<RedisQueueOptions, "lineCopies"> = {},
  layerFromClient = RedisQueue.layerFromClient
): AdapterUnderTest => {
  let builds = 0
  return {
    name,
    get layer() {
      return Layer.merge(
        StoreStall.inFrontOf(
          Layer.merge(
            MemoryStores.layerWithoutQueue,
            Layer.unwrap(
              Effect.sync(() =>
                layerFromClient(client(), { ...options, keyPrefix: `${prefix}${builds++}:`, clock: "effect" })
              )
            )
          )
        ),
        StoreClock.layerManual(suiteEpochMs)
      )
    }
  }
}

/**
 * The Redis adapter for one test file: one client, opened on first use, and
 * the file's keys deleted and the client closed after its tests.
 */
export const redisAdapterForFile = (
  options: Pick<RedisQueueOptions, "lineCopies"> = {},
  layerFromClient = RedisQueue.layerFromClient
): AdapterUnderTest => {
  const prefix = runPrefix()
  let client: Redis | undefined
  afterAll(async () => {
    if (client !== undefined) {
      await deleteKeys(client, prefix)
      await client.quit()
    }
  })
  const name = options.lineCopies === undefined ? "redis" : "redis, polls from copies"
  return redisAdapter(() => (client ??= connect()), prefix, name, options, layerFromClient)
}

/**
 * The Redis queue alone, for one test file that drives it by hand: a client
 * of its own, a runtime whose scripts read a manual clock, and the file's
 * keys deleted and everything closed after its tests.
 */
export const queueForFile = () => {
  const prefix = runPrefix()
  const client = new Redis(redisUrl)
  const runtime = ManagedRuntime.make(
    Layer.merge(
      RedisQueue.layerFromClient(client, { keyPrefix: prefix, clock: "effect" }),
      StoreClock.layerManual(suiteEpochMs)
    )
  )
  afterAll(async () => {
    await deleteKeys(client, prefix)
    await runtime.dispose()
    await client.quit()
  })
  /** Moves the manual clock the scripts read. */
  const advance = (ms: number) => runtime.runPromise(StoreClock.use((clock) => clock.advance(ms)))
  return { prefix, client, runtime, advance }
}
