/**
 * Proves that nothing after a committed payment turns it into an error: a
 * queue store that fails to end the token still lets the receipt through,
 * and the token is ended by the retry, or left to its window.
 */
import { Booking, Queue, QueueTokenSigner, Unavailable } from "@boxoffice/core"
import { MemoryQueue, MemoryStores } from "@boxoffice/memory"
import { createConcert, newUser, StoreClock, suiteEpochMs, suiteSecret } from "@boxoffice/testing"
import { Effect, Layer, Logger, Option } from "effect"
import { assert, describe, it } from "vitest"

/** The memory queue, whose `end` fails its first `failures` calls as an unreachable Redis would. */
const queueFailingEnd = (failures: number) =>
  Layer.effect(
    Queue,
    Effect.gen(function* () {
      const queue = yield* Queue
      let failed = 0
      return Queue.of({
        ...queue,
        end: (...args) =>
          failed++ < failures ? Effect.fail(new Unavailable({ store: "redis", cause: "stalled" })) : queue.end(...args)
      })
    })
  ).pipe(Layer.provide(MemoryQueue.layer))

const payWithFailingEnd = (failures: number, warnings: Array<string>) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const concert = yield* createConcert()
    const userId = yield* newUser
    const ticket = yield* booking.joinQueue(userId, concert.concertId)
    yield* booking.charge(userId, 30_000, null)
    const hold = yield* booking.hold(userId, ticket.queueToken, concert.dates[0]!.dateId, [1])
    const receipt = yield* booking.pay(userId, ticket.queueToken, hold.holdId, "pay-1")
    assert.strictEqual(receipt.balanceKrw, 20_000)
    // Let the background retries run: they wait 50, 100 and 200 ms on the engine's clock.
    for (let i = 0; i < 5; i++) {
      yield* StoreClock.use((clock) => clock.advance(250))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
    }
    const status = yield* (yield* Queue).status(concert.concertId, ticket.entry, concert.policy.queue)
    return {
      status: Option.getOrThrow(status).status,
      replay: yield* booking.pay(userId, ticket.queueToken, hold.holdId, "pay-1"),
      receipt
    }
  }).pipe(
    Effect.provide(
      Booking.layer.pipe(
        Layer.provideMerge(
          Layer.mergeAll(
            MemoryStores.layerWithoutQueue,
            queueFailingEnd(failures),
            QueueTokenSigner.layerHmac(suiteSecret),
            StoreClock.layerManual(suiteEpochMs)
          )
        )
      )
    ),
    Effect.provide(
      Logger.layer([
        Logger.make((options) => {
          if (options.logLevel === "Warn") warnings.push(String(options.message))
        })
      ])
    ),
    Effect.runPromise
  )

describe("after a payment commits", () => {
  it("a queue store that fails to end the token once: the receipt is answered and the retry ends the token", async () => {
    const warnings: Array<string> = []
    const { status, replay, receipt } = await payWithFailingEnd(1, warnings)
    assert.strictEqual(status, "expired")
    assert.deepStrictEqual(replay, receipt)
    assert.deepStrictEqual(warnings, [])
  })

  it("a queue store that stays away: the receipt is still answered, the failure is logged, and the key replays it", async () => {
    const warnings: Array<string> = []
    const { status, replay, receipt } = await payWithFailingEnd(100, warnings)
    // The token keeps its window, which ends it; the hold is paid and cannot be paid twice.
    assert.strictEqual(status, "active")
    assert.deepStrictEqual(replay, receipt)
    assert.strictEqual(warnings.length, 1)
    assert.include(warnings[0]!, "could not be ended")
  })
})
