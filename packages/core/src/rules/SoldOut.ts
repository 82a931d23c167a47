/**
 * Sold out: a concert is sold out when every seat of every date that has not
 * started is sold. Seats that are only held do not count: a hold may expire
 * or be released, and its seats come back. The seat store knows; the queue
 * store keeps a mark of it with the line (`Queue.markSoldOut`), which its
 * admission step reads in every call, so a line marked sold out admits
 * nobody, refuses joins and tells each pending or waiting entry `sold-out`.
 * The Redis scripts mirror `queueStatusOf` in their `view`.
 *
 * @since 0.5.0
 */
import { DateTime } from "effect"
import type { ConcertDate } from "../model/Concert.ts"
import type { QueueStatusKind } from "../model/QueueEntry.ts"

/**
 * How often an instance reads the seat store to catch a sold-out concert its
 * line was not marked for (a mark that failed, or was forgotten with the
 * queue's keys), at most, per concert, while it answers that concert's polls.
 *
 * @category constants
 */
export const soldOutCheckIntervalMs = 10_000

/**
 * After a check that failed (the seat or queue store away), how long an
 * instance waits before it tries again.
 *
 * @category constants
 */
export const soldOutRetryIntervalMs = 1_000

/**
 * The dates of a concert that have not started at `nowMs`: the only ones whose
 * seats count.
 *
 * @example
 * ```ts
 * import { upcomingDates } from "@boxoffice/core"
 * declare const concert: import("@boxoffice/core").Concert
 * const open = upcomingDates(concert.dates, Date.now())
 * ```
 * @category rules
 */
export const upcomingDates = (dates: ReadonlyArray<ConcertDate>, nowMs: number): Array<ConcertDate> =>
  dates.filter((date) => DateTime.toEpochMillis(date.startsAt) > nowMs)

/**
 * Whether a concert is sold out, from the seat counts of its upcoming dates
 * (one per date): every seat is sold, none available and none held. A concert
 * with no upcoming date is over, not sold out: its sale has closed.
 *
 * @example
 * ```ts
 * import { isSoldOut } from "@boxoffice/core"
 * isSoldOut([{ available: 0, held: 0 }]) // true
 * isSoldOut([{ available: 0, held: 1 }]) // false: a held seat may come back
 * isSoldOut([]) // false
 * ```
 * @category rules
 */
export const isSoldOut = (
  upcomingCounts: ReadonlyArray<{ readonly available: number; readonly held: number }>
): boolean => upcomingCounts.length > 0 && upcomingCounts.every((counts) => counts.available === 0 && counts.held === 0)

/**
 * What a queue entry answers: an ended entry is `expired`; a pending or
 * waiting entry of a line marked sold out is `sold-out` (it keeps its place
 * in the store, and reads as before once the mark is cleared); an active one
 * keeps its window.
 *
 * @example
 * ```ts
 * import { queueStatusOf } from "@boxoffice/core"
 * queueStatusOf("waiting", true) // "sold-out"
 * queueStatusOf("active", true) // "active"
 * ```
 * @category rules
 */
export const queueStatusOf = (state: "pending" | "waiting" | "active" | "ended", soldOut: boolean): QueueStatusKind => {
  if (state === "ended") return "expired"
  if (soldOut && state !== "active") return "sold-out"
  return state
}
