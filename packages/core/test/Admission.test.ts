/**
 * Proves the admission rule (L5): both caps bound admissions, and while
 * there is room under both, every waiter is admitted.
 */
import { assert, describe, it } from "vitest"
import {
  activeUntilMs,
  admissionsAllowed,
  admissionsInWindow,
  isAbandoned,
  isStillActive,
  Limits,
  QueuePolicy,
  sightingMsOf
} from "../src/index.ts"

const policy = (maxActive: number, admitPerMinute: number | null) =>
  new QueuePolicy({ maxActive, activeSeconds: 600, admitPerMinute })

describe("admissionsAllowed", () => {
  it("admits every waiter while there is room", () => {
    assert.strictEqual(
      admissionsAllowed({ policy: policy(100, null), nowMs: 0, activeCount: 0, waitingCount: 7, admissionTimesMs: [] }),
      7
    )
  })
  it("never exceeds maxActive", () => {
    assert.strictEqual(
      admissionsAllowed({ policy: policy(3, null), nowMs: 0, activeCount: 1, waitingCount: 7, admissionTimesMs: [] }),
      2
    )
    assert.strictEqual(
      admissionsAllowed({ policy: policy(3, null), nowMs: 0, activeCount: 3, waitingCount: 7, admissionTimesMs: [] }),
      0
    )
  })
  it("never exceeds admitPerMinute in the window (now - 60 s, now]", () => {
    const times = [0, 10_000, 20_000]
    assert.strictEqual(
      admissionsAllowed({
        policy: policy(100, 3),
        nowMs: 59_999,
        activeCount: 0,
        waitingCount: 5,
        admissionTimesMs: times
      }),
      0
    )
    assert.strictEqual(
      admissionsAllowed({
        policy: policy(100, 3),
        nowMs: 60_000,
        activeCount: 0,
        waitingCount: 5,
        admissionTimesMs: times
      }),
      1
    )
    assert.strictEqual(
      admissionsAllowed({
        policy: policy(100, 3),
        nowMs: 80_000,
        activeCount: 0,
        waitingCount: 5,
        admissionTimesMs: times
      }),
      3
    )
  })
  it("takes the tighter of the two caps", () => {
    assert.strictEqual(
      admissionsAllowed({ policy: policy(2, 10), nowMs: 0, activeCount: 0, waitingCount: 5, admissionTimesMs: [] }),
      2
    )
    assert.strictEqual(
      admissionsAllowed({ policy: policy(10, 2), nowMs: 0, activeCount: 0, waitingCount: 5, admissionTimesMs: [] }),
      2
    )
  })
  it("never goes negative when the caps are already exceeded", () => {
    assert.strictEqual(
      admissionsAllowed({ policy: policy(1, null), nowMs: 0, activeCount: 5, waitingCount: 5, admissionTimesMs: [] }),
      0
    )
  })
})

describe("windows", () => {
  it("counts admissions in the last 60 seconds only", () => {
    assert.strictEqual(admissionsInWindow([0, 1, 59_000, 60_000], 60_000), 3)
    assert.strictEqual(admissionsInWindow([0, 1, 59_000, 60_000], 60_001), 2)
    assert.strictEqual(admissionsInWindow([], 60_000), 0)
  })
  it("an active window ends after activeSeconds, judged by activeUntil > now", () => {
    const until = activeUntilMs(1_000, policy(1, null))
    assert.strictEqual(until, 601_000)
    assert.isTrue(isStillActive(until, 600_999))
    assert.isFalse(isStillActive(until, 601_000))
  })
})

describe("sightingMsOf", () => {
  const stepMs = Limits.sightingStepSeconds * 1000
  const graceMs = Limits.waitingGraceSeconds * 1000

  it("counts a sighting at the end of its step; one on a step's end is that step's", () => {
    assert.deepStrictEqual([0, 1, stepMs - 1, stepMs, stepMs + 1].map(sightingMsOf), [
      0,
      stepMs,
      stepMs,
      stepMs,
      2 * stepMs
    ])
  })

  it("keeps a place for the grace after the sighting, and at most a step more", () => {
    for (const seenAtMs of [1, stepMs / 2, stepMs, 12_345_678]) {
      const sightedMs = sightingMsOf(seenAtMs)
      assert.isAtLeast(sightedMs, seenAtMs)
      assert.isBelow(sightedMs, seenAtMs + stepMs)
      assert.isFalse(isAbandoned(sightedMs, seenAtMs + graceMs - 1))
      assert.isTrue(isAbandoned(sightedMs, sightedMs + graceMs))
    }
  })
})
