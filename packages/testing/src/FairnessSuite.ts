/**
 * The fairness suite: many small fair-start draws through the engine, and
 * chi-square tests that the drawn place of a joiner is independent of when
 * they joined, of their user id and of their token.
 *
 * @since 0.3.0
 */
import { Booking, type UserId } from "@boxoffice/core"
import { DateTime, Effect } from "effect"
import { assert, describe, it } from "vitest"
import type { AdapterUnderTest } from "./AdapterUnderTest.ts"
import { createConcert, harnessLayer, newUser } from "./Harness.ts"
import { StoreClock } from "./StoreClock.ts"

/** One joiner of one draw. @category models */
export interface DrawnJoiner {
  /** 0 for the first to join. */
  readonly joinRank: number
  /** 0 for the first place in the drawn line. */
  readonly drawnPlace: number
  readonly userId: UserId
  readonly queueToken: string
}

/**
 * Runs `draws` sales that each open 1 s after `joinersPerDraw` users join,
 * and answers each joiner's join rank and drawn place.
 *
 * @category suites
 */
export const runDraws = (draws: number, joinersPerDraw: number) =>
  Effect.gen(function* () {
    const booking = yield* Booking
    const results: Array<ReadonlyArray<DrawnJoiner>> = []
    for (let draw = 0; draw < draws; draw++) {
      const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
      const concert = yield* createConcert({ opensAt: DateTime.makeUnsafe(nowMs + 1_000), queue: { maxActive: 1 } })
      const joiners: Array<{ userId: UserId; queueToken: string }> = []
      for (let i = 0; i < joinersPerDraw; i++) {
        const userId = yield* newUser
        joiners.push({ userId, queueToken: (yield* booking.joinQueue(userId, concert.concertId)).queueToken })
      }
      yield* StoreClock.use((clock) => clock.advance(1_000))
      const sequences = yield* Effect.forEach(joiners, (joiner) =>
        Effect.map(booking.queueStatus(joiner.userId, joiner.queueToken), (entry) => entry.joinSequence)
      )
      const sorted = [...sequences].sort((a, b) => a - b)
      results.push(
        joiners.map((joiner, joinRank) => ({
          ...joiner,
          joinRank,
          drawnPlace: sorted.indexOf(sequences[joinRank]!)
        }))
      )
    }
    return results
  })

/**
 * The chi-square statistic of a k×k table of how often rank `r` (by some
 * order of the joiners) landed at place `p`, against the uniform
 * expectation, scaled to follow χ² with (k-1)² degrees of freedom under a
 * uniform draw. Each draw adds a permutation matrix, not k independent
 * counts, so Pearson's sum alone is k/(k-1) times that χ² (mean k(k-1), not
 * (k-1)²); the scaling takes the factor out.
 *
 * @example
 * ```ts
 * import { chiSquareOfPlaces } from "@boxoffice/testing"
 * chiSquareOfPlaces([[0, 1], [1, 0]], [[0, 1], [1, 0]], 2) // 0
 * ```
 * @category statistics
 */
export const chiSquareOfPlaces = (
  ranks: ReadonlyArray<ReadonlyArray<number>>,
  places: ReadonlyArray<ReadonlyArray<number>>,
  k: number
): number => {
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  for (const [draw, drawRanks] of ranks.entries()) {
    for (const [i, rank] of drawRanks.entries()) counts[rank]![places[draw]![i]!]!++
  }
  const expected = ranks.length / k
  const pearson = counts.flat().reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0)
  return (pearson * (k - 1)) / k
}

/**
 * The chi-square value exceeded with probability one in a million at 16
 * degrees of freedom (a 5×5 table). A suite runs six such tests on every CI
 * run, so a looser level fails good code by chance: at p = 0.001 about one
 * run in 170 did. With 4,000 draws the strict level still sees a naive
 * shuffle's bias, which the memory fairness test checks.
 *
 * @category constants
 */
export const chiSquareCritical16AtOneInAMillion = 58.324

/** The rank of each item of `keys` in ascending order. */
const ranksBy = (keys: ReadonlyArray<string>): Array<number> => {
  const sorted = [...keys].sort()
  return keys.map((key) => sorted.indexOf(key))
}

/**
 * Registers the fairness tests for `adapter`: 4,000 draws of five joiners,
 * then one chi-square test (p > 10⁻⁶) per order that must not predict the
 * draw: join order, user id and token.
 *
 * @example
 * ```ts
 * import { fairnessSuite } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * fairnessSuite(adapter)
 * ```
 * @category suites
 */
export const fairnessSuite = (adapter: AdapterUnderTest): void => {
  const k = 5
  const draws = 4_000
  describe(`fairness of the fair-start draw: ${adapter.name}`, () => {
    let results: ReadonlyArray<ReadonlyArray<DrawnJoiner>> | undefined
    const drawn = async () =>
      (results ??= await Effect.runPromise(Effect.provide(runDraws(draws, k), harnessLayer(adapter))))
    const placesOf = (all: ReadonlyArray<ReadonlyArray<DrawnJoiner>>) =>
      all.map((draw) => draw.map((j) => j.drawnPlace))
    const orders: ReadonlyArray<readonly [string, (draw: ReadonlyArray<DrawnJoiner>) => Array<number>]> = [
      ["join order", (draw) => draw.map((j) => j.joinRank)],
      ["user id", (draw) => ranksBy(draw.map((j) => j.userId))],
      ["queue token", (draw) => ranksBy(draw.map((j) => j.queueToken))]
    ]
    for (const [name, rankOf] of orders) {
      it(`each ${name} rank lands in each drawn place equally often (chi-square, p > 1e-6)`, async () => {
        const all = await drawn()
        for (const draw of all) assert.deepStrictEqual(draw.map((j) => j.drawnPlace).sort(), [0, 1, 2, 3, 4])
        const statistic = chiSquareOfPlaces(all.map(rankOf), placesOf(all), k)
        console.log(
          `[fairness] ${adapter.name}: ${draws} draws of ${k}, chi-square by ${name} = ${statistic.toFixed(2)} (16 df)`
        )
        assert.isBelow(statistic, chiSquareCritical16AtOneInAMillion)
        // The same test has the power to see a draw that keeps the order it ranks by.
        assert.isAbove(chiSquareOfPlaces(all.map(rankOf), all.map(rankOf), k), chiSquareCritical16AtOneInAMillion)
      }, 300_000)
    }
  })
}
