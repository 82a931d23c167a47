/**
 * The expected wait of a waiter, from the admission rate actually observed.
 *
 * @since 0.1.0
 */
import type { QueuePolicy } from "../model/Concert.ts"
import { Limits } from "../model/Limits.ts"

/** @category models */
export interface EtaInput {
  readonly policy: QueuePolicy
  readonly nowMs: number
  /** 1 for the next to be admitted. */
  readonly position: number
  /**
   * Recent admission times of users who had waited, ascending. Admissions of
   * users let in on arrival say nothing about how fast the line moves.
   */
  readonly waitedAdmissionTimesMs: ReadonlyArray<number>
}

/**
 * The rate, in admissions per second, that the queue showed over the last
 * `etaWindowSeconds`. With too few admissions to measure, it assumes the
 * slowest steady state the policy allows: every active user using their full
 * window, capped by the admission rate.
 *
 * @category rules
 */
export const observedAdmissionRatePerSecond = (input: Omit<EtaInput, "position">): number => {
  const windowStartMs = input.nowMs - Limits.etaWindowSeconds * 1000
  const recent = input.waitedAdmissionTimesMs.filter((t) => t > windowStartMs)
  const rateCapPerSecond = input.policy.admitPerMinute === null
    ? Number.POSITIVE_INFINITY
    : input.policy.admitPerMinute / 60
  if (recent.length >= 2) {
    const spanSeconds = Math.max(1, (input.nowMs - recent[0]!) / 1000)
    return Math.min(rateCapPerSecond, recent.length / spanSeconds)
  }
  return Math.min(rateCapPerSecond, input.policy.maxActive / input.policy.activeSeconds)
}

/**
 * Whole seconds until the waiter at `position` is expected to be admitted.
 *
 * @example
 * ```ts
 * import { etaSeconds, QueuePolicy } from "@boxoffice/core"
 * const policy = new QueuePolicy({ maxActive: 10, activeSeconds: 600, admitPerMinute: 60 })
 * etaSeconds({ policy, nowMs: 60_000, position: 30, waitedAdmissionTimesMs: [0, 30_000, 59_000] }) // 600: 3 in the last 60 s
 * ```
 * @category rules
 */
export const etaSeconds = (input: EtaInput): number =>
  Math.ceil(input.position / observedAdmissionRatePerSecond(input))
