/**
 * Rate-limit counters in this process, by `rate-limiter-flexible`'s memory
 * limiter: one instance's own limits, for the embedded profile.
 *
 * @since 0.2.0
 */
import { type RateLimit, RateLimitCounters, type RateLimitCount } from "@boxoffice/core"
import { Effect, Layer } from "effect"
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible"

const countOf = (result: RateLimiterRes | null, refused: boolean): RateLimitCount => ({
  remaining: result?.remainingPoints ?? 0,
  resetInMs: result?.msBeforeNext ?? 0,
  refused
})

/**
 * The counters in memory.
 *
 * @example
 * ```ts
 * import { MemoryRateLimitCounters } from "@boxoffice/memory"
 * const counters = MemoryRateLimitCounters.layer
 * ```
 * @category layers
 */
export const MemoryRateLimitCounters = {
  layer: Layer.sync(RateLimitCounters, () => {
    const limiters = new Map<string, RateLimiterMemory>()
    const limiterFor = (name: string, limit: RateLimit) => {
      const key = `${name}/${limit.points}/${limit.windowSeconds}`
      let limiter = limiters.get(key)
      if (limiter === undefined) {
        limiter = new RateLimiterMemory({ keyPrefix: name, points: limit.points, duration: limit.windowSeconds })
        limiters.set(key, limiter)
      }
      return limiter
    }
    return RateLimitCounters.of({
      // The memory limiter rejects only with the spent window's result; it has no store to fail.
      take: (name, limit, key) =>
        Effect.promise(() =>
          limiterFor(name, limit)
            .consume(key)
            .then(
              (result) => countOf(result, false),
              (result: unknown) => countOf(result instanceof RateLimiterRes ? result : null, true)
            )
        ),
      giveBack: (name, limit, key) => Effect.promise(() => limiterFor(name, limit).reward(key, 1)).pipe(Effect.asVoid),
      look: (name, limit, key) =>
        Effect.promise(() => limiterFor(name, limit).get(key)).pipe(
          Effect.map((result) => countOf(result, (result?.consumedPoints ?? 0) >= limit.points))
        )
    })
  })
}
