/**
 * Server-sent queue events, shared: every stream of one token on this
 * instance reads one store poll, and a token may hold only a few streams at
 * once, so a client cannot multiply the store's load by opening more.
 *
 * @since 0.2.0
 */
import { Booking, type BookingError, type QueueEntry } from "@boxoffice/core"
import { Context, Effect, Layer, RcMap, Stream } from "effect"

/** Streams one token may hold open on one instance. @category constants */
export const maxStreamsPerTokenDefault = 3

/** A token that already holds its streams. @category errors */
export class TooManyStreams extends Error {
  readonly _tag = "TooManyStreams"
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { QueueEventsHub } from "@boxoffice/http"
 * declare const token: string
 * const events = QueueEventsHub.use((hub) => hub.open(token))
 * ```
 * @category services
 */
export class QueueEventsHub extends Context.Service<
  QueueEventsHub,
  {
    /**
     * The token's status stream, or `TooManyStreams` at once when the token
     * holds `maxStreamsPerToken` already. The slot is freed when the stream
     * ends.
     */
    readonly open: (queueToken: string) => Effect.Effect<Stream.Stream<QueueEntry, BookingError>, TooManyStreams>
  }
>()("@boxoffice/http/QueueEventsHub") {
  static readonly layer = (options: { readonly maxStreamsPerToken?: number } = {}) =>
    Layer.effect(
      QueueEventsHub,
      Effect.gen(function* () {
        const booking = yield* Booking
        const maxStreams = options.maxStreamsPerToken ?? maxStreamsPerTokenDefault
        // One upstream poll per token while anyone listens; a late listener gets the latest status first.
        const upstreams = yield* RcMap.make({
          lookup: (queueToken: string) => Stream.share(booking.queueEvents(queueToken), { capacity: 16, replay: 1 })
        })
        const openStreams = new Map<string, number>()
        const release = (queueToken: string) =>
          Effect.sync(() => {
            const left = (openStreams.get(queueToken) ?? 1) - 1
            if (left <= 0) openStreams.delete(queueToken)
            else openStreams.set(queueToken, left)
          })
        return QueueEventsHub.of({
          open: (queueToken) =>
            Effect.suspend(() => {
              const open = openStreams.get(queueToken) ?? 0
              if (open >= maxStreams) return Effect.fail(new TooManyStreams())
              openStreams.set(queueToken, open + 1)
              return Effect.succeed(
                Stream.unwrap(RcMap.get(upstreams, queueToken)).pipe(Stream.ensuring(release(queueToken)))
              )
            })
        })
      })
    )
}
