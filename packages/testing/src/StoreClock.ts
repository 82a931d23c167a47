/**
 * The clock of the stores under test, which the suites move forward to
 * expire holds and queue windows.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer } from "effect"

/**
 * Control over the clock that a store judges expiry by (the spec (docs/spec.md, Time)). A store
 * that reads Effect's `Clock` uses {@link StoreClock.layerManual}; a store
 * that reads its own clock (a database's `now()`) supplies a layer that
 * shifts that clock.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { StoreClock } from "@boxoffice/testing"
 * const later = StoreClock.use((clock) => clock.advance(61_000))
 * ```
 * @category services
 */
export class StoreClock extends Context.Service<
  StoreClock,
  {
    readonly nowMs: Effect.Effect<number>
    readonly advance: (milliseconds: number) => Effect.Effect<void>
  }
>()("@boxoffice/testing/StoreClock") {
  /**
   * A manual clock that is also Effect's `Clock`, so stores and `Booking`
   * read it. Sleepers wake when the clock is advanced past their time.
   * `sync` tells a store with its own clock (a database's) the new time, at
   * start and after every advance.
   */
  static readonly layerManual = <E = never, R = never>(
    startMs: number,
    sync?: (nowMs: number) => Effect.Effect<void, E, R>
  ): Layer.Layer<StoreClock, E, R> =>
    Layer.effectContext(
      Effect.gen(function* () {
        const tell = (ms: number): Effect.Effect<void, E, R> => (sync === undefined ? Effect.void : sync(ms))
        yield* tell(startMs)
        const context = yield* Effect.context<R>()
        let nowMs = startMs
        const sleepers = new Set<{ readonly wakeAtMs: number; readonly wake: () => void }>()
        const clock: Clock.Clock = {
          currentTimeMillisUnsafe: () => nowMs,
          currentTimeMillis: Effect.sync(() => nowMs),
          currentTimeNanosUnsafe: () => BigInt(nowMs) * 1_000_000n,
          currentTimeNanos: Effect.sync(() => BigInt(nowMs) * 1_000_000n),
          monotonicTimeNanosUnsafe: () => BigInt(nowMs) * 1_000_000n,
          monotonicTimeNanos: Effect.sync(() => BigInt(nowMs) * 1_000_000n),
          sleep: (duration) =>
            Effect.callback<void>((resume) => {
              const sleeper = { wakeAtMs: nowMs + Duration.toMillis(duration), wake: () => resume(Effect.void) }
              sleepers.add(sleeper)
              return Effect.sync(() => sleepers.delete(sleeper))
            })
        }
        const storeClock = StoreClock.of({
          nowMs: clock.currentTimeMillis,
          advance: (milliseconds) =>
            // The store with its own clock moves first: while its write is under way, a call may see
            // that store ahead of the others, never behind, so no call sees a queue admit at a time the
            // seat store has not reached yet (found by the property suite: a hold made "before" the
            // admission that the same call's status step had just made at the opening).
            Effect.suspend(() => tell(nowMs + milliseconds).pipe(Effect.orDie, Effect.provide(context))).pipe(
              Effect.andThen(
                Effect.sync(() => {
                  nowMs += milliseconds
                  for (const sleeper of sleepers) {
                    if (sleeper.wakeAtMs <= nowMs) {
                      sleepers.delete(sleeper)
                      sleeper.wake()
                    }
                  }
                })
              )
            )
        })
        return Context.make(Clock.Clock, clock).pipe(Context.add(StoreClock, storeClock))
      })
    )
}
