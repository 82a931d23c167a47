/**
 * Proves the ETA rule: it follows the admission rate actually observed, and
 * falls back to the policy's slowest steady state when nothing was measured.
 */
import { assert, describe, it } from "vitest"
import * as fc from "fast-check"
import {
  admissionWindowMs,
  etaSeconds,
  Limits,
  observedAdmissionRatePerSecond,
  QueuePolicy,
  rateCapAdmissionAtMs,
  rateCapWindowOf,
  waitedAdmissionsOf
} from "../src/index.ts"

const none = { oldestMs: null, afterOldest: 0 }

describe("etaSeconds", () => {
  it("uses the observed rate", () => {
    const policy = new QueuePolicy({ maxActive: 100, activeSeconds: 600, admitPerMinute: null })
    // One admission a second for the last 10 s: 9 after the first, over the 9 s since it.
    const times = Array.from({ length: 10 }, (_, i) => 91_000 + i * 1_000)
    assert.strictEqual(
      observedAdmissionRatePerSecond({ policy, nowMs: 100_000, waitedAdmissions: waitedAdmissionsOf(times, 100_000) }),
      1
    )
    assert.strictEqual(
      etaSeconds({
        policy,
        nowMs: 100_000,
        position: 25,
        activeCount: 100,
        waitedAdmissions: waitedAdmissionsOf(times, 100_000)
      }),
      25
    )
  })
  it("follows the rate cap's schedule exactly: a full window opens only as its admissions age out", () => {
    const policy = new QueuePolicy({ maxActive: 10_000, activeSeconds: 600, admitPerMinute: 60 })
    const window = Array.from({ length: 60 }, () => 99_000)
    const eta = (position: number) =>
      etaSeconds({
        policy,
        nowMs: 100_000,
        position,
        activeCount: 60,
        waitedAdmissions: none,
        rateCapWindow: rateCapWindowOf(window, 100_000, position, 60)
      })
    // All 60 places free at 159 s; the next 60 a minute later, and so on.
    assert.deepStrictEqual([1, 60, 61, 120, 121].map(eta), [59, 59, 119, 119, 179])
  })
  it("admits at once while the rate window has room", () => {
    const policy = new QueuePolicy({ maxActive: 10_000, activeSeconds: 600, admitPerMinute: 60 })
    const window = Array.from({ length: 50 }, () => 99_000)
    assert.strictEqual(
      rateCapAdmissionAtMs({
        policy,
        nowMs: 100_000,
        position: 10,
        activeCount: 50,
        waitedAdmissions: none,
        rateCapWindow: rateCapWindowOf(window, 100_000, 10, 60)
      }),
      100_000
    )
    assert.strictEqual(
      rateCapAdmissionAtMs({
        policy,
        nowMs: 100_000,
        position: 11,
        activeCount: 50,
        waitedAdmissions: none,
        rateCapWindow: rateCapWindowOf(window, 100_000, 11, 60)
      }),
      159_000
    )
  })
  it("falls back to maxActive / activeSeconds when nothing was measured", () => {
    const policy = new QueuePolicy({ maxActive: 2, activeSeconds: 600, admitPerMinute: null })
    assert.strictEqual(
      etaSeconds({ policy, nowMs: 0, position: 1, activeCount: policy.maxActive, waitedAdmissions: none }),
      300
    )
    assert.strictEqual(
      etaSeconds({ policy, nowMs: 0, position: 4, activeCount: policy.maxActive, waitedAdmissions: none }),
      1_200
    )
  })
  it("ignores admissions older than the observation window", () => {
    const policy = new QueuePolicy({ maxActive: 2, activeSeconds: 600, admitPerMinute: null })
    assert.strictEqual(
      etaSeconds({
        policy,
        nowMs: 10_000_000,
        position: 1,
        activeCount: policy.maxActive,
        waitedAdmissions: waitedAdmissionsOf([0, 1, 2], 10_000_000)
      }),
      300
    )
  })
  it("needs no slot to open for waiters up to the free slots", () => {
    const policy = new QueuePolicy({ maxActive: 10, activeSeconds: 60, admitPerMinute: null })
    const eta = (position: number) => etaSeconds({ policy, nowMs: 0, position, activeCount: 7, waitedAdmissions: none })
    assert.deepStrictEqual([1, 3, 4, 13].map(eta), [0, 0, 6, 60])
  })
  it("grows with the position", () => {
    const policy = new QueuePolicy({ maxActive: 10, activeSeconds: 60, admitPerMinute: null })
    const etas = [1, 2, 10, 100].map((position) =>
      etaSeconds({ policy, nowMs: 0, position, activeCount: policy.maxActive, waitedAdmissions: none })
    )
    assert.deepStrictEqual(
      etas,
      [...etas].sort((a, b) => a - b)
    )
    assert.strictEqual(etas[3], 600)
  })
})

/** The rule as it was written over the whole sample, before stores answered two numbers. */
const rateOverSample = (policy: QueuePolicy, nowMs: number, sampleMs: ReadonlyArray<number>) => {
  const recent = sampleMs.filter((t) => t > nowMs - Limits.etaWindowSeconds * 1000)
  const after = recent.filter((t) => t > recent[0]!).length
  return after >= 1 ? after / Math.max(1, (nowMs - recent[0]!) / 1000) : policy.maxActive / policy.activeSeconds
}

describe("waitedAdmissionsOf", () => {
  it("keeps the rate the whole sample shows, for any ascending times with ties, old times and more than a sample", () => {
    const policy = new QueuePolicy({ maxActive: 50, activeSeconds: 300, admitPerMinute: null })
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: Limits.etaSampleSize * 2 }),
        fc.integer({ min: 0, max: 1_200_000 }),
        (unsorted, nowMs) => {
          const times = [...unsorted].sort((a, b) => a - b)
          const summary = waitedAdmissionsOf(times, nowMs)
          assert.strictEqual(
            observedAdmissionRatePerSecond({ policy, nowMs, waitedAdmissions: summary }),
            rateOverSample(policy, nowMs, times.slice(-Limits.etaSampleSize))
          )
        }
      ),
      { numRuns: 2_000 }
    )
  })
  it("counts only admissions strictly after the oldest recent one", () => {
    assert.deepStrictEqual(waitedAdmissionsOf([0, 391_000, 392_000, 392_000], 400_000), {
      oldestMs: 391_000,
      afterOldest: 2
    })
    assert.deepStrictEqual(waitedAdmissionsOf([91_000, 91_000], 100_000), { oldestMs: 91_000, afterOldest: 0 })
    assert.deepStrictEqual(waitedAdmissionsOf([], 100_000), { oldestMs: null, afterOldest: 0 })
  })
})

/** The schedule as it was written over the whole window, before stores answered two numbers. */
const admissionAtOverWindow = (nowMs: number, position: number, rate: number, timesMs: ReadonlyArray<number>) => {
  const window = timesMs.filter((t) => t > nowMs - admissionWindowMs)
  const laps = Math.max(0, Math.ceil((position - rate) / rate))
  const predecessor = window.length + position - laps * rate - 1 - rate
  const firstLapMs = predecessor < 0 ? nowMs : Math.max(nowMs, window[predecessor]! + admissionWindowMs)
  return firstLapMs + laps * admissionWindowMs
}

describe("rateCapWindowOf", () => {
  it("keeps the schedule the whole window gives, for any ascending times, positions and rates", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 120 }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.integer({ min: 1, max: 400 }),
        (rate, unsorted, nowMs, position) => {
          const times = [...unsorted].sort((a, b) => a - b)
          const policy = new QueuePolicy({ maxActive: 10_000, activeSeconds: 600, admitPerMinute: rate })
          assert.strictEqual(
            rateCapAdmissionAtMs({
              policy,
              nowMs,
              position,
              activeCount: 0,
              waitedAdmissions: none,
              rateCapWindow: rateCapWindowOf(times, nowMs, position, rate)
            }),
            admissionAtOverWindow(nowMs, position, rate, times)
          )
        }
      ),
      { numRuns: 2_000 }
    )
  })
})
