/**
 * Proves the pieces under the HTTP contract on their own: defects are
 * logged at ERROR with their cause and answered as a bare problem; queue
 * event streams of one token share one store poll; the server refuses
 * secrets and admin keys that are too short.
 */
import { Booking, QueueTokenSigner, UserId, newId, Queue } from "@boxoffice/core"
import { QueueEventsHub, TooManyStreams, TransportGuards } from "@boxoffice/http"
import { MemoryQueue, MemoryStores } from "@boxoffice/memory"
import { createConcert, StoreClock, suiteEpochMs, suiteSecret } from "@boxoffice/testing"
import { ConfigProvider, Deferred, Effect, Layer, Logger, Stream } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { assert, describe, it } from "vitest"
import { serverConfig } from "../src/ServerConfig.ts"

describe("transport guards", () => {
  it("a defect is logged at ERROR with its cause and answered 500 internal-error without it", async () => {
    const logged: Array<{ level: string; message: unknown; cause: string }> = []
    const capture = Logger.make((options) => {
      logged.push({ level: options.logLevel, message: options.message, cause: String(options.cause) })
    })
    const app = Layer.mergeAll(
      HttpRouter.add("GET", "/boom", Effect.die(new Error("the ledger is inconsistent"))),
      HttpRouter.add("GET", "/fine", Effect.succeed(HttpServerResponse.text("fine"))),
      TransportGuards.layer()
    ).pipe(Layer.provideMerge(Logger.layer([capture])))
    const { handler, dispose } = HttpRouter.toWebHandler(app, { disableLogger: true })
    try {
      const response = await handler(new Request("http://local/boom"))
      assert.strictEqual(response.status, 500)
      assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
      const body = (await response.json()) as { code: string; detail: string }
      assert.strictEqual(body.code, "internal-error")
      assert.notInclude(body.detail, "ledger")
      const errors = logged.filter((line) => line.level === "Error")
      assert.strictEqual(errors.length, 1)
      assert.include(String(errors[0]!.message), "GET /boom")
      assert.include(errors[0]!.cause, "the ledger is inconsistent")
      assert.strictEqual((await handler(new Request("http://local/fine"))).status, 200)
    } finally {
      await dispose()
    }
  })
})

describe("queue event streams", () => {
  it("three streams of one token read one store poll; a fourth is refused at once", async () => {
    let polls = 0
    const countingQueue = Layer.effect(
      Queue,
      Effect.gen(function* () {
        const queue = yield* Queue
        return Queue.of({
          ...queue,
          status: (...args) =>
            Effect.andThen(
              Effect.sync(() => polls++),
              queue.status(...args)
            )
        })
      })
    )
    const engine = Booking.layer.pipe(
      Layer.provideMerge(
        Layer.mergeAll(
          MemoryStores.layerWithoutQueue,
          countingQueue.pipe(Layer.provide(MemoryQueue.layer)),
          QueueTokenSigner.layerHmac(suiteSecret),
          StoreClock.layerManual(suiteEpochMs)
        )
      )
    )
    const program = Effect.gen(function* () {
      const booking = yield* Booking
      const hub = yield* QueueEventsHub
      const concert = yield* createConcert()
      const ticket = yield* booking.joinQueue(yield* newId(UserId), concert.concertId)
      const streams = yield* Effect.forEach([0, 1, 2], () => hub.open(ticket.queueToken))
      // Each listener stays open, as an SSE client does, and reports its first status.
      const firsts = yield* Effect.forEach(streams, (stream) =>
        Effect.gen(function* () {
          const first = yield* Deferred.make<string>()
          yield* Effect.forkScoped(Stream.runForEach(stream, (entry) => Deferred.succeed(first, entry.status)))
          return first
        })
      )
      const seen = yield* Effect.forEach(firsts, Deferred.await)
      assert.deepStrictEqual(seen, ["active", "active", "active"])
      const refused = yield* Effect.flip(hub.open(ticket.queueToken))
      assert.instanceOf(refused, TooManyStreams)
      return polls
    })
    const pollsForThree = await Effect.runPromise(
      Effect.scoped(program.pipe(Effect.provide(QueueEventsHub.layer().pipe(Layer.provideMerge(engine)))))
    )
    // The first status of the first stream is one poll; the other two got it from the shared stream.
    assert.strictEqual(pollsForThree, 1)
  })
})

describe("server configuration", () => {
  const configWith = (env: Record<string, string>) =>
    Effect.runPromise(
      Effect.flip(serverConfig).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
    )

  it("refuses a secret under 32 bytes and an admin key under 16 characters, and says why", async () => {
    const shortSecret = await configWith({ BOXOFFICE_SECRET: "s".repeat(31) })
    assert.include(String((shortSecret as { message?: string }).message), "BOXOFFICE_SECRET must be at least 32 bytes")
    const shortKey = await configWith({ BOXOFFICE_SECRET: "s".repeat(32), BOXOFFICE_ADMIN_KEY: "k".repeat(15) })
    assert.include(
      String((shortKey as { message?: string }).message),
      "BOXOFFICE_ADMIN_KEY must be at least 16 characters"
    )
    const accepted = await Effect.runPromise(
      serverConfig.pipe(
        Effect.provide(
          ConfigProvider.layer(
            ConfigProvider.fromEnv({
              env: { BOXOFFICE_SECRET: "s".repeat(32), BOXOFFICE_ADMIN_KEY: "k".repeat(16) }
            })
          )
        )
      )
    )
    assert.strictEqual(accepted.store, "memory")
    assert.strictEqual(accepted.postgresPoolSize, 20)
    const badPool = await configWith({ BOXOFFICE_PG_POOL: "0" })
    assert.include(String((badPool as { message?: string }).message), "BOXOFFICE_PG_POOL must be between 1 and 500")
  })
})
