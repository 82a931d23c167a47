/**
 * When a failed webhook delivery is tried again: exponential backoff with
 * full jitter, for up to a day after the event, then parked. Pure, so the
 * schedule is tested without waiting for it.
 */
import type { DeliveryOutcome } from "@boxoffice/core"

/** The retry schedule's bounds. */
export interface RetryPolicy {
  /** The cap of the first retry's delay; each failure doubles it. */
  readonly retryBaseMs: number
  /** The most one wait may be: a receiver back after an outage hears within this. */
  readonly retryCapMs: number
  /** How long after the event it is tried at all; past it, a failure parks the event. */
  readonly giveUpAfterMs: number
}

/** 1 s doubling, at most 1 h between tries, for 24 h after the event (docs/webhooks.md). */
export const retryPolicy: RetryPolicy = {
  retryBaseMs: 1_000,
  retryCapMs: 3_600_000,
  giveUpAfterMs: 86_400_000
}

/**
 * How a failed attempt ends: parked once `giveUpAfterMs` have passed since the event, else a retry after a
 * delay drawn uniformly below `min(retryCapMs, retryBaseMs · 2^attemptsBefore)` (full jitter: instances and
 * events that failed together do not return together), never later than the give-up time, so the last try
 * falls on it.
 *
 * @example
 * ```ts
 * // The third failure of an event an hour old, with a random draw of 0.5: a retry 2 s from now.
 * failedAttemptOutcome({ eventAtMs: 0, attemptsBefore: 2, nowMs: 3_600_000, random: 0.5 }, retryPolicy)
 * // { _tag: "Retry", retryAtMs: 3_602_000 }
 * ```
 */
export const failedAttemptOutcome = (
  attempt: {
    readonly eventAtMs: number
    /** Attempts before this one. */
    readonly attemptsBefore: number
    readonly nowMs: number
    /** A uniform draw in [0, 1). */
    readonly random: number
  },
  policy: RetryPolicy
): DeliveryOutcome => {
  const giveUpAtMs = attempt.eventAtMs + policy.giveUpAfterMs
  if (attempt.nowMs >= giveUpAtMs) return { _tag: "Parked" }
  // 2^31 s is far past any cap; bounding the exponent keeps the product finite.
  const ceilingMs = Math.min(policy.retryCapMs, policy.retryBaseMs * 2 ** Math.min(attempt.attemptsBefore, 31))
  const retryAtMs = attempt.nowMs + Math.floor(attempt.random * ceilingMs)
  return { _tag: "Retry", retryAtMs: Math.min(retryAtMs, giveUpAtMs) }
}
