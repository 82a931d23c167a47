/**
 * Queue admission (L5): how many waiters may become active now, given both
 * caps. Stores call it inside their atomic admission step.
 *
 * @since 0.1.0
 */
import type { QueuePolicy } from "../model/Concert.ts"
import { Limits } from "../model/Limits.ts"
import { isSaleOpen } from "./FairStart.ts"

/** "Per minute" means any 60-second window (the spec (docs/spec.md)). @category constants */
export const admissionWindowMs = 60_000

/** @category models */
export interface AdmissionInput {
  readonly policy: Pick<QueuePolicy, "maxActive" | "admitPerMinute">
  /** A paused queue admits nobody. */
  readonly paused?: boolean
  /** Nor does a line marked sold out (`rules/SoldOut`). */
  readonly soldOut?: boolean
  /** Nobody is admitted before the sale opens (`null`: open at once). */
  readonly opensAtMs?: number | null
  readonly nowMs: number
  readonly activeCount: number
  readonly waitingCount: number
  /** Admission times, ascending. Only those in the last window matter. */
  readonly admissionTimesMs: ReadonlyArray<number>
  /**
   * How many of the admissions fall in the last window, when the caller has counted them its own way (a copy of
   * a Redis line keeps them in a structure of its own); `admissionTimesMs` is not read then.
   */
  readonly admittedInWindow?: number
}

/**
 * Admissions in the window `(nowMs - 60 s, nowMs]`. Admitting only while this
 * is below the rate keeps every 60-second window at or under it. A binary
 * search over the ascending times: O(log n) however many the window holds.
 *
 * @example
 * ```ts
 * import { admissionsInWindow } from "@boxoffice/core"
 * admissionsInWindow([0, 30_000, 70_000], 80_000) // 2
 * ```
 * @category rules
 */
export const admissionsInWindow = (admissionTimesMs: ReadonlyArray<number>, nowMs: number): number => {
  let low = 0
  let high = admissionTimesMs.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (admissionTimesMs[middle]! <= nowMs - admissionWindowMs) low = middle + 1
    else high = middle
  }
  return admissionTimesMs.length - low
}

/**
 * How many of the front waiters to admit now: as many as both caps allow.
 * While there is room under both, every waiter is admitted at once.
 *
 * @example
 * ```ts
 * import { admissionsAllowed, QueuePolicy } from "@boxoffice/core"
 * const policy = new QueuePolicy({ maxActive: 2, activeSeconds: 600, admitPerMinute: null })
 * admissionsAllowed({ policy, nowMs: 0, activeCount: 1, waitingCount: 5, admissionTimesMs: [] }) // 1
 * ```
 * @category rules
 */
export const admissionsAllowed = (input: AdmissionInput): number => {
  if (input.paused === true || input.soldOut === true || !isSaleOpen(input.opensAtMs ?? null, input.nowMs)) return 0
  const bySlots = input.policy.maxActive - input.activeCount
  const byRate =
    input.policy.admitPerMinute === null
      ? Number.POSITIVE_INFINITY
      : input.policy.admitPerMinute -
        (input.admittedInWindow ?? admissionsInWindow(input.admissionTimesMs, input.nowMs))
  return Math.max(0, Math.min(input.waitingCount, bySlots, byRate))
}

/** When an admission made at `admittedAtMs` stops being active. @category rules */
export const activeUntilMs = (admittedAtMs: number, policy: Pick<QueuePolicy, "activeSeconds">): number =>
  admittedAtMs + policy.activeSeconds * 1000

/** An active window counts only while `activeUntil > now`. @category rules */
export const isStillActive = (activeUntil: number, nowMs: number): boolean => activeUntil > nowMs

/**
 * When a sighting at `nowMs` counts as seen: the end of its step of
 * `sightingStepSeconds` (an instant on a step's end is its own step), so nobody
 * keeps a place for less than the grace.
 *
 * @example
 * ```ts
 * import { sightingMsOf } from "@boxoffice/core"
 * sightingMsOf(12_345) // 20_000
 * sightingMsOf(20_000) // 20_000
 * ```
 * @category rules
 */
export const sightingMsOf = (nowMs: number): number => {
  const stepMs = Limits.sightingStepSeconds * 1000
  return Math.ceil(nowMs / stepMs) * stepMs
}

/**
 * A waiter whose last sighting (`sightingMsOf` of their last join or poll)
 * is `waitingGraceSeconds` old has abandoned their place.
 *
 * @example
 * ```ts
 * import { isAbandoned } from "@boxoffice/core"
 * isAbandoned(0, 300_000) // true
 * ```
 * @category rules
 */
export const isAbandoned = (lastSeenMs: number, nowMs: number): boolean =>
  lastSeenMs <= nowMs - Limits.waitingGraceSeconds * 1000
