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
   * Recent admission times of users who had waited, ascending. Admissions of
   * users let in on arrival say nothing about how fast the line moves.
   */
  readonly waitedAdmissionTimesMs: ReadonlyArray<number>
  /** Every admission of the last 60 seconds, ascending; needed only with a rate cap. */
  readonly windowAdmissionTimesMs?: ReadonlyArray<number>
}

/**
 * The rate, in admissions per second, that the queue showed over the last
 * `etaWindowSeconds` for people who had waited. With too few of those to
 * measure, it assumes every active user uses their full window.
 *
 * @category rules
 */
export const observedAdmissionRatePerSecond = (input: Omit<EtaInput, "position" | "activeCount">): number => {
  const windowStartMs = input.nowMs - Limits.etaWindowSeconds * 1000
  const recent = input.waitedAdmissionTimesMs.filter((t) => t > windowStartMs)
  // Admissions after the oldest sample, over the time since it: the oldest only marks the start.
  const after = recent.filter((t) => t > recent[0]!).length
  if (after >= 1) return after / Math.max(1, (input.nowMs - recent[0]!) / 1000)
  return input.policy.maxActive / input.policy.activeSeconds
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
  const window = (input.windowAdmissionTimesMs ?? []).filter((t) => t > input.nowMs - admissionWindowMs)
  // Admission k (1-based) reuses the window place of the admission R before it: k - R.
  const laps = Math.max(0, Math.ceil((input.position - rate) / rate))
  const k = input.position - laps * rate
  const predecessor = window.length + k - 1 - rate
  const firstLapMs = predecessor < 0 ? input.nowMs : Math.max(input.nowMs, window[predecessor]! + admissionWindowMs)
  return firstLapMs + laps * admissionWindowMs
}

/**
 * Whole seconds until the waiter at `position` is expected to be admitted.
 *
 * @example
 * ```ts
 * import { etaSeconds, QueuePolicy } from "@boxoffice/core"
 * const policy = new QueuePolicy({ maxActive: 1_000, activeSeconds: 600, admitPerMinute: 60 })
 * // 60 admitted 10 s ago: the window has no room until they age out 50 s from now.
 * const window = Array.from({ length: 60 }, () => 50_000)
 * etaSeconds({ policy, nowMs: 60_000, position: 5, activeCount: 60, waitedAdmissionTimesMs: [], windowAdmissionTimesMs: window }) // 50
 * ```
 * @category rules
 */
export const etaSeconds = (input: EtaInput): number => {
  const byRateCapSeconds = (rateCapAdmissionAtMs(input) - input.nowMs) / 1000
  const slotsNeeded = Math.max(0, input.position - Math.max(0, input.policy.maxActive - input.activeCount))
  const bySlotsSeconds = slotsNeeded / observedAdmissionRatePerSecond(input)
  return Math.ceil(Math.max(byRateCapSeconds, bySlotsSeconds))
}
