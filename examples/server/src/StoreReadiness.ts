/**
 * Stores that are not there yet at start. The server listens before its
 * engine is built and answers 503 until then (`NodeServer.ts`); each store's
 * layer (Postgres, migrated first, and the Redis queue) is built again and
 * again while it fails with `Unavailable`, each attempt in a scope of its
 * own that a failure closes, so nothing is built over a store that is not
 * there and nothing of a failed attempt is left running. Each store logs,
 * as JSON like every line, what it cannot reach (its message names the
 * store, the address and the cause) whenever that changes, and once it is
 * reached after that.
 */
import type { Unavailable } from "@boxoffice/core"
import { Effect, Exit, Layer, Schedule, Scope } from "effect"

/** 0.2 s, then doubling, at most 5 s apart: quick when a store is a moment late, quiet when it is down. */
const retrySchedule = Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("5 seconds")])

/**
 * `layer`, built once the store behind it answers.
 *
 * @example
 * ```ts
 * import { MemoryQueue } from "@boxoffice/memory"
 * const queue = untilReachable("redis", MemoryQueue.layer)
 * ```
 */
export const untilReachable = <A, R>(store: string, layer: Layer.Layer<A, Unavailable, R>): Layer.Layer<A, never, R> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const parent = yield* Effect.scope
      let reported: string | undefined
      let where = ""
      const attempt = Effect.gen(function* () {
        const scope = yield* Scope.fork(parent)
        return yield* Layer.buildWithScope(layer, scope).pipe(
          Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
        )
      })
      const report = (error: Unavailable) =>
        error.message === reported
          ? Effect.void
          : Effect.andThen(
              Effect.logWarning(`${error.message}; the server answers 503 until it can reach ${store}`).pipe(
                Effect.annotateLogs({ store, ...(error.address === undefined ? {} : { address: error.address }) })
              ),
              Effect.sync(() => {
                reported = error.message
                where = error.address === undefined ? "" : ` at ${error.address}`
              })
            )
      // The schedule never ends, so the failure left after it cannot happen.
      const context = yield* attempt.pipe(Effect.tapError(report), Effect.retry(retrySchedule), Effect.orDie)
      if (reported !== undefined) {
        yield* Effect.logInfo(`reached the ${store} store${where}`).pipe(Effect.annotateLogs({ store }))
      }
      return context
    })
  )
