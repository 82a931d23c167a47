/**
 * Fair start: a sale may open at a set time. Whoever joins before it waits
 * in a pre-queue with no place at all; at the opening, the store draws the
 * pre-queue into the waiting line once, in a uniformly random order, ahead
 * of everyone who joins later. Stores run the draw inside their atomic
 * admission step (the Redis scripts mirror it), so it happens exactly once
 * whichever instance calls first.
 *
 * @since 0.3.0
 */
import { DateTime } from "effect"
import type { QueuePolicy } from "../model/Concert.ts"

/**
 * Whether the sale is open at `nowMs`. A sale without an opening time is
 * open at once; one whose time has come is open from that very millisecond.
 *
 * @example
 * ```ts
 * import { isSaleOpen } from "@boxoffice/core"
 * isSaleOpen(null, 0) // true
 * isSaleOpen(1_000, 999) // false
 * isSaleOpen(1_000, 1_000) // true
 * ```
 * @category rules
 */
export const isSaleOpen = (opensAtMs: number | null, nowMs: number): boolean => opensAtMs === null || nowMs >= opensAtMs

/**
 * The pre-queue in the order it enters the waiting line: a Fisher–Yates
 * shuffle, uniform over all orders whatever order `pending` comes in, given
 * that `randomBelow(n)` answers each of `0..n-1` equally often. The store
 * supplies the randomness, so no instance can bias the draw.
 *
 * @example
 * ```ts
 * import { drawOrder } from "@boxoffice/core"
 * const randomBelow = (bound: number) => Math.floor(Math.random() * bound)
 * drawOrder(["a", "b", "c"], randomBelow) // e.g. ["c", "a", "b"]
 * ```
 * @category rules
 */
export const drawOrder = <A>(pending: Iterable<A>, randomBelow: (bound: number) => number): Array<A> => {
  const order = Array.from(pending)
  for (let last = order.length - 1; last > 0; last--) {
    const pick = randomBelow(last + 1)
    const swapped = order[last]!
    order[last] = order[pick]!
    order[pick] = swapped
  }
  return order
}

/**
 * The opening time of a queue policy in epoch milliseconds, or `null` when
 * the sale is open at once.
 *
 * @example
 * ```ts
 * import { DateTime } from "effect"
 * import { opensAtMsOf, QueuePolicy } from "@boxoffice/core"
 * opensAtMsOf(new QueuePolicy({ ...QueuePolicy.default, opensAt: DateTime.makeUnsafe(1_000) })) // 1000
 * ```
 * @category rules
 */
export const opensAtMsOf = (policy: Pick<QueuePolicy, "opensAt">): number | null =>
  policy.opensAt === undefined ? null : DateTime.toEpochMillis(policy.opensAt)
