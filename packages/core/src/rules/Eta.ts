/**
 * The expected wait of a waiter. Two things hold a waiter back, and the ETA
 * is the later of the two:
 *
 * - the rate cap, whose schedule is exact: with at most R admissions in any
 *   60 seconds, a future admission happens when the admission R places
 *   before it leaves the window;
 * - free slots, which open as fast as the queue was actually seen to admit
 *   people who had waited.
 *
 * @since 0.1.0
 */
import { admissionWindowMs } from "./Admission.ts"
import type { QueuePolicy } from "../model/Concert.ts"
import { Limits } from "../model/Limits.ts"

/** @category models */
export interface EtaInput {
  readonly policy: Pick<QueuePolicy, "maxActive" | "activeSeconds" | "admitPerMinute">
  readonly nowMs: number
  /** 1 for the next to be admitted. */
  readonly position: number
  /** Users active now: waiters up to the free slots need no slot to open. */
  readonly activeCount: number
  /**
   * What the recent admissions of users who had waited show (see
   * `waitedAdmissionsOf`). Admissions of users let in on arrival say nothing
   * about how fast the line moves.
   */
  readonly waitedAdmissions: WaitedAdmissions
  /** What the admissions of the last 60 seconds show (see `rateCapWindowOf`); needed only with a rate cap. */
  readonly rateCapWindow?: RateCapWindow
}

/**
 * All the ETA needs of the admissions of users who had waited: the oldest of
 * the sample within the last `etaWindowSeconds`, and how many came strictly
 * after it. A store can answer these two numbers instead of its sample (the
 * Redis queue does, in two commands).
 *
 * @category models
 */
export interface WaitedAdmissions {
  /** The oldest recent admission in epoch milliseconds; `null` when there is none. */
  readonly oldestMs: number | null
  /** Recent admissions strictly after the oldest. */
  readonly afterOldest: number
}

/**
 * The `WaitedAdmissions` of a sample of admission times, ascending: only its
 * last `Limits.etaSampleSize` count, and only those after `nowMs` minus
 * `etaWindowSeconds`.
 *
 * @example
 * ```ts
 * import { waitedAdmissionsOf } from "@boxoffice/core"
 * waitedAdmissionsOf([0, 391_000, 392_000, 392_000], 400_000) // { oldestMs: 391_000, afterOldest: 2 }
 * ```
 * @category rules
 */
export const waitedAdmissionsOf = (timesMs: ReadonlyArray<number>, nowMs: number): WaitedAdmissions => {
  const windowStartMs = nowMs - Limits.etaWindowSeconds * 1000
  let oldestMs: number | null = null
  let afterOldest = 0
  for (let i = Math.max(0, timesMs.length - Limits.etaSampleSize); i < timesMs.length; i++) {
    const t = timesMs[i]!
    if (t <= windowStartMs) continue
    if (oldestMs === null) oldestMs = t
    else if (t > oldestMs) afterOldest++
  }
  return { oldestMs, afterOldest }
}

/**
 * The rate, in admissions per second, that the queue showed over the last
 * `etaWindowSeconds` for people who had waited. With too few of those to
 * measure, it assumes every active user uses their full window.
 *
 * @category rules
 */
export const observedAdmissionRatePerSecond = (
  input: Pick<EtaInput, "policy" | "nowMs" | "waitedAdmissions">
): number => {
  const { afterOldest, oldestMs } = input.waitedAdmissions
  // Admissions after the oldest, over the time since it: the oldest only marks the start.
  if (oldestMs !== null && afterOldest >= 1) return afterOldest / Math.max(1, (input.nowMs - oldestMs) / 1000)
  return input.policy.maxActive / input.policy.activeSeconds
}

/**
 * All the rate cap's schedule needs of the admissions in the current
 * 60-second window: how many there are, and when the one was made whose
 * place in the window the waiter's admission reuses. A store can answer
 * these two numbers instead of the window (the Redis queue does).
 *
 * @category models
 */
export interface RateCapWindow {
  /** Admissions in the window. */
  readonly count: number
  /** The admission at `rateCapPredecessorIndex`, in epoch milliseconds; `null` when that index is negative. */
  readonly predecessorMs: number | null
}

/** Whole 60-second windows the `position`-th next admission waits beyond the first. */
const lapsBefore = (position: number, ratePerMinute: number) =>
  Math.max(0, Math.ceil((position - ratePerMinute) / ratePerMinute))

/**
 * Which admission of the window, oldest first from 0, the `position`-th next
 * admission must wait to see leave the window; negative when the window has
 * room for it. Admission k of a lap reuses the place of the one `ratePerMinute`
 * before it.
 *
 * @example
 * ```ts
 * import { rateCapPredecessorIndex } from "@boxoffice/core"
 * rateCapPredecessorIndex(1, 60, 60) // 0: the oldest must leave first
 * rateCapPredecessorIndex(10, 60, 50) // -1: there is room
 * ```
 * @category rules
 */
export const rateCapPredecessorIndex = (position: number, ratePerMinute: number, windowCount: number): number =>
  windowCount + position - lapsBefore(position, ratePerMinute) * ratePerMinute - 1 - ratePerMinute

/**
 * The `RateCapWindow` of the admission times of a queue, ascending, for the
 * waiter at `position`.
 *
 * @example
 * ```ts
 * import { rateCapWindowOf } from "@boxoffice/core"
 * rateCapWindowOf([10_000, 50_000, 60_000], 75_000, 2, 2) // { count: 2, predecessorMs: 60_000 }
 * ```
 * @category rules
 */
export const rateCapWindowOf = (
  timesMs: ReadonlyArray<number>,
  nowMs: number,
  position: number,
  ratePerMinute: number
): RateCapWindow => {
  const window = timesMs.filter((t) => t > nowMs - admissionWindowMs)
  const index = rateCapPredecessorIndex(position, ratePerMinute, window.length)
  return { count: window.length, predecessorMs: index < 0 ? null : window[index]! }
}

/**
 * When the rate cap lets the `position`-th next admission happen, in epoch
 * milliseconds: `nowMs` if the window has room for it.
 *
 * @category rules
 */
export const rateCapAdmissionAtMs = (input: EtaInput): number => {
  const rate = input.policy.admitPerMinute
  if (rate === null) return input.nowMs
  const predecessorMs = input.rateCapWindow?.predecessorMs ?? null
  const firstLapMs = predecessorMs === null ? input.nowMs : Math.max(input.nowMs, predecessorMs + admissionWindowMs)
  return firstLapMs + lapsBefore(input.position, rate) * admissionWindowMs
}

/**
 * Whole seconds until the waiter at `position` is expected to be admitted.
 *
 * @example
 * ```ts
 * import { etaSeconds, QueuePolicy, rateCapWindowOf } from "@boxoffice/core"
 * const policy = new QueuePolicy({ maxActive: 1_000, activeSeconds: 600, admitPerMinute: 60 })
 * // 60 admitted 10 s ago: the window has no room until they age out 50 s from now.
 * const window = Array.from({ length: 60 }, () => 50_000)
 * const waitedAdmissions = { oldestMs: null, afterOldest: 0 }
 * const rateCapWindow = rateCapWindowOf(window, 60_000, 5, 60)
 * etaSeconds({ policy, nowMs: 60_000, position: 5, activeCount: 60, waitedAdmissions, rateCapWindow }) // 50
 * ```
 * @category rules
 */
export const etaSeconds = (input: EtaInput): number => {
  const byRateCapSeconds = (rateCapAdmissionAtMs(input) - input.nowMs) / 1000
  const slotsNeeded = Math.max(0, input.position - Math.max(0, input.policy.maxActive - input.activeCount))
  const bySlotsSeconds = slotsNeeded / observedAdmissionRatePerSecond(input)
  return Math.ceil(Math.max(byRateCapSeconds, bySlotsSeconds))
}
