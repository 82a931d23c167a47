/**
 * The engine over an adapter under test, with the fixtures both suites use.
 *
 * @since 0.1.0
 */
import { Booking, type Concert, type NewConcert, newId, QueueTokenSigner, UserId } from "@boxoffice/core"
import { DateTime, Effect, Layer, Redacted } from "effect"
import type { AdapterUnderTest, StorePorts } from "./AdapterUnderTest.ts"
import { StoreClock } from "./StoreClock.ts"
import type { StoreStall } from "./StoreStall.ts"

/** Where every suite's clock starts: 2026-01-01T00:00:00Z. @category constants */
export const suiteEpochMs = Date.UTC(2026, 0, 1)

/** The signing secret of the suites; any instance sharing it accepts the tokens. @category constants */
export const suiteSecret = Redacted.make("boxoffice-test-suite-secret-of-32-bytes-or-more")

/** Everything a suite test can reach. @category models */
export type HarnessServices = Booking | StorePorts | StoreClock | StoreStall | QueueTokenSigner

/**
 * `Booking` over the adapter's stores, with the ports and clock exposed too.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Booking } from "@boxoffice/core"
 * import { harnessLayer } from "@boxoffice/testing"
 * declare const adapter: import("@boxoffice/testing").AdapterUnderTest
 * const run = <A, E>(e: Effect.Effect<A, E, Booking>) => Effect.runPromise(Effect.provide(e, harnessLayer(adapter)))
 * ```
 * @category layers
 */
export const harnessLayer = (adapter: AdapterUnderTest): Layer.Layer<HarnessServices, unknown> =>
  Booking.layer.pipe(Layer.provideMerge(Layer.merge(adapter.layer, QueueTokenSigner.layerHmac(suiteSecret))))

/** A concert whose dates are a month after the clock's now, with overridable settings. @category fixtures */
export const createConcert = (
  overrides: Partial<NewConcert> = {}
): Effect.Effect<Concert, unknown, Booking | StoreClock> =>
  Effect.gen(function* () {
    const nowMs = yield* StoreClock.use((clock) => clock.nowMs)
    const booking = yield* Booking
    return yield* booking.createConcert({
      title: "Suite concert",
      dates: [
        { startsAt: DateTime.makeUnsafe(nowMs + 30 * 86_400_000), priceKrw: 10_000, seatCount: 10 },
        { startsAt: DateTime.makeUnsafe(nowMs + 31 * 86_400_000), priceKrw: 20_000, seatCount: 10 }
      ],
      ...overrides
    })
  })

/** A fresh user id. @category fixtures */
export const newUser: Effect.Effect<UserId> = newId(UserId)
