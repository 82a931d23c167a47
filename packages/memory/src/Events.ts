/**
 * In-memory `Events`: the outbox every in-memory write appends to in its own
 * step (see `internal/EventLog.ts`), read by sequence, with the webhook
 * deliveries' claims and outcomes beside it.
 *
 * @since 0.6.0
 */
import { type ConcertId, Events, Limits } from "@boxoffice/core"
import { DateTime, Layer, Result } from "effect"
import { noteExpiries, recordEvent } from "./internal/EventLog.ts"
import { atomically, MemoryStore } from "./internal/MemoryStore.ts"

/** @category layers */
export const layer: Layer.Layer<Events, never, MemoryStore> = Layer.effect(
  Events,
  MemoryStore.useSync((state) => {
    /** The events still held, with their index: the oldest undelivered one per concert (or user) first. */
    const due = (nowMs: number) => {
      const heads = new Map<string, number>()
      state.events.forEach((event, index) => {
        const delivery = state.deliveries.get(event.eventId)!
        if (delivery.delivered !== null || delivery.parked) return
        const group = event.data.concertId ?? `user:${event.data.userId}`
        if (!heads.has(group)) heads.set(group, index)
      })
      return [...heads.values()]
        .map((index) => state.events[index]!)
        .filter((event) => {
          const delivery = state.deliveries.get(event.eventId)!
          return delivery.dueAtMs <= nowMs && delivery.leaseUntilMs <= nowMs
        })
        .sort((a, b) => a.sequence - b.sequence)
    }
    return Events.of({
      read: (afterSequence, limit) =>
        atomically((nowMs) => {
          noteExpiries(state, nowMs)
          const first = Math.max(0, afterSequence - state.eventsPurged)
          return Result.succeed(state.events.slice(first, first + limit))
        }),
      recordSoldOut: (concertId: ConcertId) =>
        atomically((nowMs) => {
          if (!state.soldOutRecorded.has(concertId)) {
            state.soldOutRecorded.add(concertId)
            recordEvent(state, "concert.sold-out", nowMs, { concertId })
          }
          return Result.succeed(undefined)
        }),
      claimDeliveries: (limit, leaseMs) =>
        atomically((nowMs) => {
          noteExpiries(state, nowMs)
          const claimed = due(nowMs).slice(0, limit)
          return Result.succeed(
            claimed.map((event) => {
              const delivery = state.deliveries.get(event.eventId)!
              delivery.leaseUntilMs = nowMs + leaseMs
              return { event, attempts: delivery.attempts }
            })
          )
        }),
      settleDelivery: (eventId, outcome) =>
        atomically((nowMs) => {
          const delivery = state.deliveries.get(eventId)
          if (delivery !== undefined) {
            delivery.attempts++
            delivery.leaseUntilMs = 0
            if (outcome._tag === "Delivered") delivery.delivered = nowMs
            else if (outcome._tag === "Parked") delivery.parked = true
            else delivery.dueAtMs = outcome.retryAtMs
          }
          return Result.succeed(undefined)
        }),
      deliveryBacklog: atomically(() => {
        let pending = 0
        let parked = 0
        let oldestPendingSequence: number | null = null
        for (const event of state.events) {
          const delivery = state.deliveries.get(event.eventId)!
          if (delivery.parked) parked++
          else if (delivery.delivered === null) {
            pending++
            oldestPendingSequence ??= event.sequence
          }
        }
        return Result.succeed({ pending, parked, oldestPendingSequence })
      }),
      purge: (retentionMs, limit, deliveredOnly) =>
        atomically((nowMs) => {
          // Only from the front, so sequences keep their places: an event behind one that must stay waits.
          let purged = 0
          while (purged < Math.min(limit, Limits.queueTidyBatchMax) && state.events.length > 0) {
            const oldest = state.events[0]!
            const delivery = state.deliveries.get(oldest.eventId)!
            const keptSinceMs = deliveredOnly ? delivery.delivered : DateTime.toEpochMillis(oldest.at)
            if (keptSinceMs === null || keptSinceMs > nowMs - retentionMs) break
            state.deliveries.delete(state.events.shift()!.eventId)
            state.eventsPurged++
            purged++
          }
          return Result.succeed(purged)
        })
    })
  })
)
