/**
 * What a deployment sees when a store is not there, in words that say what
 * to do:
 * - the server started with Postgres and Redis both unreachable logs each,
 *   in JSON, with its address and the cause, answers 503 on /ready
 *   meanwhile, logs each once it reaches it, and then serves;
 * - a configuration the server refuses is logged as JSON too, and every
 *   line it writes is JSON;
 * - an app embedding the engine over Postgres and a Redis on a wrong port
 *   fails with Redis's own error before anything is written to Postgres.
 */
import { Booking, QueueTokenSigner, Unavailable } from "@boxoffice/core"
import { migrateDatabase, PostgresStores } from "@boxoffice/postgres"
import { RedisQueue } from "@boxoffice/redis"
import { startTcpProxy } from "@boxoffice/testing"
import { DateTime, Effect, Layer, Redacted, Result } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, runUntilExit, spawnServer, stopServer } from "./support/ServerProcess.ts"
import { createStores, redisUrl, type Stores } from "./support/Stores.ts"

let stores: Stores
beforeAll(async () => {
  stores = await createStores()
}, 60_000)
afterAll(async () => {
  await stores?.drop()
})

interface LogLine {
  readonly message: string
  readonly level: string
  readonly annotations: Record<string, unknown>
}

/** Every line the process wrote, each of which must be JSON. */
const logLines = (output: string): Array<LogLine> =>
  output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine
      } catch {
        throw new Error(`a log line is not JSON: ${line}`)
      }
    })

/** Resolves once `output()` holds a log line that `matches`, or throws with the output after 20 s. */
const logged = async (output: () => string, matches: (line: LogLine) => boolean): Promise<LogLine> => {
  for (let i = 0; i < 400; i++) {
    const line = logLines(output()).find(matches)
    if (line !== undefined) return line
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no such log line:\n${output()}`)
}

const concertCount = async () => {
  const [row] = await stores.sql<Array<{ count: number }>>`select count(*)::int as count from concerts`
  return row!.count
}

const readyStatus = (url: string) =>
  fetch(`${url}/ready`).then(
    (response) => response.status,
    () => 0
  )

describe("stores that are not there", () => {
  it("the server logs each store it cannot reach, answers 503 on /ready, and logs each once it reaches it", async () => {
    const database = new URL(stores.databaseUrl)
    const postgresProxy = await startTcpProxy(Number(database.port || 5432), database.hostname)
    const redisProxy = await startTcpProxy(Number(new URL(redisUrl).port || 6379), new URL(redisUrl).hostname)
    await postgresProxy.cut()
    await redisProxy.cut()
    const databaseAddress = `127.0.0.1:${postgresProxy.port}${database.pathname}`
    database.host = `127.0.0.1:${postgresProxy.port}`
    database.password = "never-shown"
    const server = spawnServer(stores, await freePort(), "store-errors-secret-of-at-least-32-bytes", {
      DATABASE_URL: database.href,
      REDIS_URL: `redis://:never-shown@127.0.0.1:${redisProxy.port}`,
      // The demo concert is seeded once the engine is built: not while Redis is away.
      BOXOFFICE_DEMO: "true"
    })
    try {
      const postgresDown = await logged(
        server.output,
        (line) => line.level === "WARN" && line.annotations["store"] === "postgres"
      )
      assert.strictEqual(postgresDown.level, "WARN")
      assert.strictEqual(
        postgresDown.message,
        `the postgres store at ${databaseAddress} is unavailable, so nothing happened: ` +
          `connect ECONNREFUSED 127.0.0.1:${postgresProxy.port}; the server answers 503 until it can reach postgres`
      )
      const redisDown = await logged(
        server.output,
        (line) => line.level === "WARN" && line.annotations["store"] === "redis"
      )
      assert.strictEqual(redisDown.level, "WARN")
      assert.strictEqual(
        redisDown.message,
        `the redis store at 127.0.0.1:${redisProxy.port} is unavailable, so nothing happened: ` +
          `connect ECONNREFUSED 127.0.0.1:${redisProxy.port}; the server answers 503 until it can reach redis`
      )
      assert.strictEqual(await readyStatus(server.url), 503)

      // Postgres first: the server still waits for Redis, and says it reached Postgres.
      await postgresProxy.restore()
      await logged(server.output, (line) => line.message === `reached the postgres store at ${databaseAddress}`)
      assert.strictEqual(await readyStatus(server.url), 503)
      // The demo concert needs Redis too: none was made while it was away.
      assert.strictEqual(await concertCount(), 0)

      await redisProxy.restore()
      await logged(server.output, (line) => line.message === `reached the redis store at 127.0.0.1:${redisProxy.port}`)
      for (let i = 0; i < 100 && (await readyStatus(server.url)) !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      assert.strictEqual(await readyStatus(server.url), 200)
      assert.strictEqual(await concertCount(), 1)
      // One line per store and reason, not one per attempt; JSON throughout, and no password anywhere.
      const lines = logLines(server.output())
      assert.strictEqual(
        lines.filter((line) => line.level === "WARN" && line.annotations["store"] === "redis").length,
        1
      )
      assert.notInclude(server.output(), "never-shown")
    } finally {
      await stopServer(server)
      await postgresProxy.close()
      await redisProxy.close()
    }
  }, 60_000)

  it("a configuration the server refuses is logged as JSON, like every line", async () => {
    const { code, output } = await runUntilExit({ PATH: process.env["PATH"], BOXOFFICE_SECRET: "short" })
    assert.notStrictEqual(code, 0)
    const lines = logLines(output)
    assert.strictEqual(lines.length, 1)
    assert.strictEqual(lines[0]!.level, "FATAL")
    assert.strictEqual(lines[0]!.message, "the server stopped")
    assert.include(JSON.stringify(lines[0]), "BOXOFFICE_SECRET must be at least 32 bytes")
  })

  it("an app on Postgres and a Redis on a wrong port fails with Redis's error before writing to Postgres", async () => {
    const url = Redacted.make(stores.databaseUrl)
    await Effect.runPromise(migrateDatabase(url))
    const before = await concertCount()
    const port = await freePort()
    const booking = Booking.layer.pipe(
      Layer.provide(PostgresStores.layer({ url })),
      Layer.provide(
        RedisQueue.layer({ url: Redacted.make(`redis://127.0.0.1:${port}`), keyPrefix: stores.redisKeyPrefix })
      ),
      Layer.provide(QueueTokenSigner.layerHmac(Redacted.make("store-errors-secret-of-at-least-32-bytes")))
    )
    const program = Booking.use((b) =>
      b.createConcert({
        title: "Never made",
        dates: [{ startsAt: DateTime.makeUnsafe(Date.now() + 86_400_000), priceKrw: 10_000 }]
      })
    )
    const result = await Effect.runPromise(
      Effect.result(Effect.andThen(migrateDatabase(url), program.pipe(Effect.provide(booking))))
    )
    assert.isTrue(Result.isFailure(result))
    const error = (result as Result.Failure<unknown, unknown>).failure
    assert.instanceOf(error, Unavailable)
    assert.strictEqual(
      (error as Unavailable).message,
      `the redis store at 127.0.0.1:${port} is unavailable, so nothing happened: connect ECONNREFUSED 127.0.0.1:${port}`
    )
    assert.strictEqual(await concertCount(), before)
  })
})
