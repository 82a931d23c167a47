/**
 * How long the webhook loop waits, after a claim that was not full, before it claims again (docs/webhooks.md,
 * "Latency"). A claim reads every undelivered event, so behind a dead receiver with a large backlog every claim
 * is slow, and the wait keeps the store's time on claims near 1 / (factor + 1). A single slow claim (the first on
 * a cold connection, a moment of contention) says nothing of a backlog: the wait follows the shorter of the last
 * two, so one alone holds no new event back.
 *
 * @example
 * ```ts
 * claimPaceMs(190, 185, 4) // 740: a backlog
 * claimPaceMs(300, 0, 4) // 0: a first claim on a cold connection
 * ```
 */
export const claimPaceMs = (lastClaimMs: number, previousClaimMs: number, factor: number): number =>
  Math.min(lastClaimMs, previousClaimMs) * factor
