/**
 * Port: counters of recent events per key, for rate limits. Each limit
 * counts its events in fixed windows: the first event of a key opens a
 * window of `windowSeconds`, and at most `points` events fit in it.
 * Adapters keep the counters in this process (memory) or in a store every
 * instance shares (Redis), atomically per event.
 *
 * @since 0.2.0
 */
import { Context, type Effect } from "effect"

/** At most `points` events per `windowSeconds`, counted per key. @category models */
export interface RateLimit {
  readonly points: number
  readonly windowSeconds: number
}

/** Where a key stands in its window after an event (or a look). @category models */
export interface RateLimitCount {
  /** Events the window still allows; 0 once spent. */
  readonly remaining: number
  /** When the window ends, in milliseconds from now. */
  readonly resetInMs: number
  /** The event just counted did not fit: it is refused. */
  readonly refused: boolean
}

/**
 * The counters. `take` never fails: a store that cannot count lets the event
 * pass (logging why), since a limit must not take a sale down with it.
 *
 * @example
 * ```ts
 * import { RateLimitCounters } from "@boxoffice/core"
 * const take = RateLimitCounters.use((counters) =>
 *   counters.take("joinsPerAddress", { points: 60, windowSeconds: 60 }, "203.0.113.7")
 * )
 * ```
 * @category ports
 */
export class RateLimitCounters extends Context.Service<
  RateLimitCounters,
  {
    /** Counts one event of `key` under the limit named `name`. */
    readonly take: (name: string, limit: RateLimit, key: string) => Effect.Effect<RateLimitCount>
    /** Where `key` stands, without counting an event. */
    readonly look: (name: string, limit: RateLimit, key: string) => Effect.Effect<RateLimitCount>
    /** Gives back one event of `key` taken by `take`: an attempt that turned out not to count (a right admin key). */
    readonly giveBack: (name: string, limit: RateLimit, key: string) => Effect.Effect<void>
  }
>()("@boxoffice/core/RateLimitCounters") {}
