/**
 * The outbox's retention: events are kept 7 days, then deleted in bounded
 * batches, so the outbox stays bounded whatever the sale's size. Where a
 * webhook delivers them, delivered ones go after 7 days and the rest (parked,
 * or still pending) after 30, so the operator can read and replay what was
 * given up on, and a receiver dead for good costs a month of storage, not
 * more; without a webhook nothing is ever delivered, and every event older
 * than 7 days goes.
 */
import { Events, type Unavailable } from "@boxoffice/core"
import { Effect, Layer, Schedule } from "effect"

/** How long an event is kept: a week to read back or replay (`GET /admin/events`). */
export const eventRetentionMs = 7 * 86_400_000
/** How long an event that was never delivered (parked) is kept where a webhook delivers: a month to replay it. */
export const undeliveredRetentionMs = 30 * 86_400_000
/** Events one delete takes: a short transaction that holds few locks. */
export const eventPurgeBatch = 500
/** Batches one sweep deletes at most: 10,000 a sweep, 28.8 million a day, and a sweep stays short. */
export const eventPurgeBatchesMax = 20
/** How often the sweep runs, as the hold sweeper does. */
export const eventPurgeInterval = "30 seconds"

/**
 * Deletes events past their retention, batch after batch while a batch comes back full, at most
 * `eventPurgeBatchesMax` for each kind; answers how many. `deliveredOnly`: a webhook delivers them, so
 * delivered ones go after `eventRetentionMs` and the others after `undeliveredRetentionMs`; else all after
 * `eventRetentionMs`.
 *
 * @example
 * ```ts
 * const deleted = yield* purgeOldEvents({ deliveredOnly: true })
 * ```
 */
export const purgeOldEvents = (options: {
  readonly deliveredOnly: boolean
}): Effect.Effect<number, Unavailable, Events> =>
  Events.use((events) => {
    const purgeAll = (retentionMs: number, deliveredOnly: boolean) =>
      Effect.gen(function* () {
        let deleted = 0
        for (let batch = 0; batch < eventPurgeBatchesMax; batch++) {
          const count = yield* events.purge(retentionMs, eventPurgeBatch, deliveredOnly)
          deleted += count
          if (count < eventPurgeBatch) break
        }
        return deleted
      })
    return options.deliveredOnly
      ? Effect.zipWith(purgeAll(eventRetentionMs, true), purgeAll(undeliveredRetentionMs, false), (a, b) => a + b)
      : purgeAll(eventRetentionMs, false)
  })

/** `purgeOldEvents` every `eventPurgeInterval` while the layer lives; a store that is away is tried next time. */
export const eventRetentionLayer = (options: { readonly deliveredOnly: boolean }): Layer.Layer<never, never, Events> =>
  Layer.effectDiscard(
    Effect.forkScoped(purgeOldEvents(options).pipe(Effect.ignore, Effect.repeat(Schedule.spaced(eventPurgeInterval))))
  )
