/**
 * Proves that a use case makes its span only when tracing is enabled for
 * the calling fiber: with `References.TracerEnabled` off, a store call
 * sees no span at all (not even a no-op one, which cost a fifth of a polled
 * server's throughput); with it on, it sees the use case's.
 */
import { Booking, Queue, QueueTokenSigner } from "@boxoffice/core"
import { MemoryQueue, MemoryStores } from "@boxoffice/memory"
import { createConcert, newUser, StoreClock, suiteEpochMs, suiteSecret } from "@boxoffice/testing"
import { Effect, Layer, Option, References } from "effect"
import { assert, describe, it } from "vitest"

/** The memory queue, recording the name of the span each `status` call runs under, or null for none. */
const queueRecordingSpans = (seen: Array<string | null>) =>
  Layer.effect(
    Queue,
    Effect.gen(function* () {
      const queue = yield* Queue
      return Queue.of({
        ...queue,
        status: (...args) =>
          Effect.flatMap(Effect.option(Effect.currentSpan), (span) => {
            seen.push(Option.match(span, { onNone: () => null, onSome: (s) => s.name }))
            return queue.status(...args)
          })
      })
    })
  ).pipe(Layer.provide(MemoryQueue.layer))

const spansSeenByStatus = (tracerEnabled: boolean) => {
  const seen: Array<string | null> = []
  return Effect.gen(function* () {
    const booking = yield* Booking
    const concert = yield* createConcert()
    const userId = yield* newUser
    const ticket = yield* booking.joinQueue(userId, concert.concertId)
    const entry = yield* booking.queueStatus(userId, ticket.queueToken)
    assert.strictEqual(entry.status, "active")
    return seen
  }).pipe(
    Effect.provide(
      Booking.layer.pipe(
        Layer.provideMerge(
          Layer.mergeAll(
            MemoryStores.layerWithoutQueue,
            queueRecordingSpans(seen),
            QueueTokenSigner.layerHmac(suiteSecret),
            StoreClock.layerManual(suiteEpochMs)
          )
        )
      )
    ),
    Effect.provideService(References.TracerEnabled, tracerEnabled),
    Effect.runPromise
  )
}

describe("use-case spans", () => {
  it("with tracing off, a store call runs under no span", async () => {
    assert.deepStrictEqual(await spansSeenByStatus(false), [null])
  })

  it("with tracing on, a store call runs under its use case's span", async () => {
    assert.deepStrictEqual(await spansSeenByStatus(true), ["Booking.queueStatus"])
  })
})
