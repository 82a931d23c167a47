/**
 * Core's `RateLimitCounters` in Redis, by `rate-limiter-flexible`'s Redis
 * limiter: each counted key is one Redis key under the deployment's prefix,
 * changed by one script call (atomic, and in one slot of a cluster). A call
 * that Redis does not answer is counted by an in-memory limiter of the same
 * limit instead (the library's "insurance"), so that an outage of Redis
 * loosens the limits to per instance rather than lifting them.
 *
 * @since 0.2.0
 */
import { type RateLimit, RateLimitCounters, type RateLimitCount } from "@boxoffice/core"
import { Effect } from "effect"
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible"
import type { RedisClient } from "./Queue.ts"

const countOf = (result: RateLimiterRes | null, refused: boolean): RateLimitCount => ({
  remaining: result?.remainingPoints ?? 0,
  resetInMs: result?.msBeforeNext ?? 0,
  refused
})

/** Counters on `client`, under `keyPrefix`. */
export const makeRateLimitCounters = (client: RedisClient, keyPrefix: string): RateLimitCounters["Service"] => {
  const limiters = new Map<string, RateLimiterRedis>()
  const limiterFor = (name: string, limit: RateLimit) => {
    const key = `${name}/${limit.points}/${limit.windowSeconds}`
    let limiter = limiters.get(key)
    if (limiter === undefined) {
      const shape = { points: limit.points, duration: limit.windowSeconds }
      limiter = new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${keyPrefix}rl:${name}`,
        ...shape,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, ...shape })
      })
      limiters.set(key, limiter)
    }
    return limiter
  }
  return RateLimitCounters.of({
    take: (name, limit, key) =>
      Effect.tryPromise({ try: () => limiterFor(name, limit).consume(key), catch: (cause) => cause }).pipe(
        Effect.map((result) => countOf(result, false)),
        Effect.catch((cause) =>
          cause instanceof RateLimiterRes
            ? Effect.succeed(countOf(cause, true))
            : Effect.as(
                Effect.logWarning(`rate limit ${name} could not be counted; the event passes`, cause),
                countOf(null, false)
              )
        )
      ),
    giveBack: (name, limit, key) =>
      Effect.tryPromise({ try: () => limiterFor(name, limit).reward(key, 1), catch: (cause) => cause }).pipe(
        Effect.asVoid,
        Effect.catch(() => Effect.void)
      ),
    look: (name, limit, key) =>
      Effect.tryPromise({ try: () => limiterFor(name, limit).get(key), catch: (cause) => cause }).pipe(
        Effect.map((result) => countOf(result, (result?.consumedPoints ?? 0) >= limit.points)),
        Effect.catch(() => Effect.succeed(countOf(null, false)))
      )
  })
}
