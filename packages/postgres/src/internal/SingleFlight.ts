/**
 * Concurrent loads of one key share a single load. A flash crowd reaching an
 * instance that has not yet cached a concert (a new worker, a restarted
 * instance) otherwise sends the same query once per request at the same
 * moment, and opens the whole pool for it; on a starved machine some of
 * those connections outlast their timeout and answer 503.
 *
 * @internal
 */
import { Deferred, Effect } from "effect"

/**
 * The first caller's load runs to its end even if that caller is
 * interrupted (it is bounded by the store's call timeout), so the callers
 * waiting on it are never left without an answer; all of them get its
 * result, failure included, and the next call after it loads afresh.
 */
export const makeSingleFlight = <A, E>() => {
  const inFlight = new Map<string, Deferred.Deferred<A, E>>()
  return (key: string, load: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      const pending = inFlight.get(key)
      if (pending !== undefined) return Deferred.await(pending)
      const loaded = Deferred.makeUnsafe<A, E>()
      inFlight.set(key, loaded)
      return Effect.uninterruptible(
        Effect.onExit(load, (exit) => {
          inFlight.delete(key)
          return Deferred.done(loaded, exit)
        })
      )
    })
}
