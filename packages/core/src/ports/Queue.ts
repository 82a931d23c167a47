/**
 * Port: the waiting queue of each concert.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Option } from "effect"
import type { SoldOut, Unavailable } from "../Errors.ts"
import type { QueuePolicy } from "../model/Concert.ts"
import type { ConcertId, QueueTokenId, UserId } from "../model/Ids.ts"
import type { QueueEntry, QueueTokenClaims } from "../model/QueueEntry.ts"
import type { QueueSettings, QueueSettingsChange } from "../model/QueueSettings.ts"
import type { QueueStats } from "../model/SaleReport.ts"

/**
 * The verified claims of the token a `Queue.status` read is for, when the read only shows its holder where they
 * stand (a poll, an event stream), and so may be answered from an instance's copy of the line that is at most the
 * store's staleness bound old. The token was signed from the entry, so its user id and issue time are the entry's
 * user and join time: a copy answers with them and need not keep them per waiter. `Booking` sets it for
 * `queueStatus` and `queueEvents` only; every read that decides (L6: may this token act now?) keeps the default,
 * `null`, and is answered by the store.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Queue, QueueStatusForDisplay, type QueueTokenClaims } from "@boxoffice/core"
 * declare const read: Effect.Effect<unknown, never, Queue>
 * declare const claims: QueueTokenClaims
 * const poll = read.pipe(Effect.provideService(QueueStatusForDisplay, claims))
 * ```
 * @category references
 */
export const QueueStatusForDisplay = Context.Reference<QueueTokenClaims | null>(
  "@boxoffice/core/QueueStatusForDisplay",
  { defaultValue: () => null }
)

/**
 * A queue token and the user it was issued to, as `status` and `end` name an entry: a `QueueEntry` and a
 * `QueueTokenClaims` are both. A store may keep entries by user (the Redis store does, so that a waiter costs it
 * one hash member and one sorted-set member); a token named with another user's id names no entry.
 *
 * @category models
 */
export interface QueueTokenHolder {
  readonly tokenId: QueueTokenId
  readonly userId: UserId
}

/** @category models */
export interface JoinRequest {
  /** The id to use if this join creates a new entry. */
  readonly tokenId: QueueTokenId
  readonly concertId: ConcertId
  readonly userId: UserId
  readonly policy: QueuePolicy
}

/**
 * FIFO admission under `maxActive`, `admitPerMinute` and `activeSeconds`
 * (L5). `policy` in each call is the concert's: the queue runs under it
 * until `configure` changes its settings, which the store keeps with the
 * queue from then on. Every operation first runs the admission step atomically, by the
 * store's clock: it ends active windows that have run out, then admits as
 * many front waiters as both caps allow. A freed slot is therefore reused by
 * the very next call, on any instance.
 *
 * A line marked sold out (`markSoldOut`, until `clearSoldOut`) admits nobody,
 * refuses joins with `SoldOut` (making no entry; an active user's join still
 * answers their entry), and answers each pending or waiting entry as
 * `sold-out` (core's `queueStatusOf`); active users keep their windows.
 *
 * @example
 * ```ts
 * import { Queue } from "@boxoffice/core"
 * declare const request: import("@boxoffice/core").JoinRequest
 * const joined = Queue.use((q) => q.join(request))
 * ```
 * @category ports
 */
export class Queue extends Context.Service<
  Queue,
  {
    /**
     * Adds the user in arrival order, or returns their waiting or active entry
     * unchanged (`created: false`). A user whose entry ended joins anew.
     * While the line is marked sold out, only an active entry is returned:
     * any other join fails with `SoldOut` and changes nothing.
     */
    readonly join: (
      request: JoinRequest
    ) => Effect.Effect<{ readonly entry: QueueEntry; readonly created: boolean }, SoldOut | Unavailable>
    /** The holder's entry, or none: a token the queue does not know, or named with another user's id. */
    readonly status: (
      concertId: ConcertId,
      holder: QueueTokenHolder,
      policy: QueuePolicy
    ) => Effect.Effect<Option.Option<QueueEntry>, Unavailable>
    /**
     * Ends the holder's entry (left, or paid) and frees its slot at once. Ending an ended entry, or naming a token
     * with another user's id, is a no-op.
     */
    readonly end: (
      concertId: ConcertId,
      holder: QueueTokenHolder,
      policy: QueuePolicy
    ) => Effect.Effect<void, Unavailable>
    /**
     * The queue's numbers after the admission step, each read in O(log n) or
     * better: no scan grows with the number of waiters.
     */
    readonly stats: (concertId: ConcertId, policy: QueuePolicy) => Effect.Effect<QueueStats, Unavailable>
    /**
     * Changes the settings in force, in one atomic step with the admission
     * step, and answers the settings now in force. Raising `maxActive`, lifting
     * or raising the rate, or resuming admits the next waiters at once, in
     * order; pausing admits nobody until resumed, and no waiter loses a place.
     */
    readonly configure: (
      concertId: ConcertId,
      change: QueueSettingsChange,
      policy: QueuePolicy
    ) => Effect.Effect<QueueSettings, Unavailable>
    /**
     * Marks the line sold out, in one atomic step with the admission step,
     * which from then on admits nobody. Marking a marked line does nothing.
     * The mark lives with the queue's settings; a store that loses it (a
     * Redis key that expired or was evicted) has it set again by the engine's
     * next check of the seat store.
     */
    readonly markSoldOut: (concertId: ConcertId, policy: QueuePolicy) => Effect.Effect<void, Unavailable>
    /**
     * Clears the mark, when seats of an upcoming date are for sale again, and
     * admits the next waiters at once, in order, as a resume does: pending and
     * waiting entries read as before, with their places. Clearing an unmarked
     * line does nothing.
     */
    readonly clearSoldOut: (concertId: ConcertId, policy: QueuePolicy) => Effect.Effect<void, Unavailable>
  }
>()("@boxoffice/core/Queue") {}
