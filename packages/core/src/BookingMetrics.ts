/**
 * What the engine counts, as Effect metrics: sales and money from `Booking`,
 * and the latency of every store call by port. Any exporter reads them from
 * Effect's metric registry (the example server serves them to Prometheus).
 *
 * @since 0.2.0
 */
import { Context, Duration, Effect, Layer, Metric } from "effect"
import { Catalog } from "./ports/Catalog.ts"
import { IdempotencyRecords } from "./ports/IdempotencyRecords.ts"
import { Payments } from "./ports/Payments.ts"
import { Queue } from "./ports/Queue.ts"
import { SeatInventory } from "./ports/SeatInventory.ts"
import { Wallet } from "./ports/Wallet.ts"

/** Histogram buckets for latencies, in milliseconds: 0.5 ms to 10 s. @category metrics */
export const latencyBoundariesMs: ReadonlyArray<number> = [
  0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000
]

/**
 * The engine's metrics.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { BookingMetrics } from "@boxoffice/core"
 * const sold = Metric.value(BookingMetrics.seatsSold) // the counter's state now
 * ```
 * @category metrics
 */
export const BookingMetrics = {
  holds: Metric.counter("boxoffice_holds_total", { description: "Holds granted", incremental: true }),
  seatsSold: Metric.counter("boxoffice_seats_sold_total", { description: "Seats sold", incremental: true }),
  payments: Metric.counter("boxoffice_payments_total", { description: "Payments made", incremental: true }),
  chargedKrw: Metric.counter("boxoffice_charged_krw_total", {
    description: "KRW charged to wallets",
    incremental: true
  }),
  paidKrw: Metric.counter("boxoffice_paid_krw_total", { description: "KRW paid for seats", incremental: true }),
  refunds: Metric.counter("boxoffice_refunds_total", { description: "Payments refunded", incremental: true }),
  refundedKrw: Metric.counter("boxoffice_refunded_krw_total", {
    description: "KRW refunded to wallets",
    incremental: true
  })
} as const

/** The same service, with each call's latency recorded under its port and operation (and a span, if `traced`). */
const timed = <S extends object>(port: string, service: S, traced: boolean): S =>
  Object.fromEntries(
    Object.entries(service).map(([operation, member]) => {
      // Made with its labels, so the series key is computed once, not on every call.
      const timer = Metric.timer("boxoffice_store_call_duration", {
        description: "Latency of each store call, by port and operation",
        boundaries: latencyBoundariesMs,
        attributes: { port, operation }
      })
      const spanName = `${port}.${operation}`
      // performance.now() rather than the Clock service: two fewer steps on every store call.
      const measure = (effect: Effect.Effect<unknown, unknown, unknown>) => {
        const timedEffect = Effect.suspend(() => {
          const startedMs = performance.now()
          return Effect.onExit(effect, () =>
            Effect.contextWith((context: Context.Context<never>) => {
              timer.updateUnsafe(Duration.millis(performance.now() - startedMs), context)
              return Effect.void
            })
          )
        })
        return traced ? Effect.withSpan(timedEffect, spanName, { kind: "client" }) : timedEffect
      }
      return [
        operation,
        typeof member === "function"
          ? (...args: Array<unknown>) => {
              const result = member(...args)
              return Effect.isEffect(result) ? measure(result) : result
            }
          : Effect.isEffect(member)
            ? measure(member)
            : member
      ]
    })
  ) as S

/** The ports that `Booking` calls. @category models */
export type StorePorts = Catalog | SeatInventory | Wallet | Payments | Queue | IdempotencyRecords

/**
 * Wraps every store port so that each call's latency is recorded in the
 * `boxoffice_store_call_duration` histogram, labelled by port and operation.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Booking, StoreMetrics } from "@boxoffice/core"
 * import { MemoryStores } from "@boxoffice/memory"
 * const engine = Booking.layer.pipe(Layer.provide(StoreMetrics.layer), Layer.provide(MemoryStores.layer))
 * ```
 * @category layers
 */
const instrumented = (traced: boolean) =>
  Layer.effectContext(
    Effect.gen(function* () {
      return Context.make(Catalog, timed("Catalog", yield* Catalog, traced)).pipe(
        Context.add(SeatInventory, timed("SeatInventory", yield* SeatInventory, traced)),
        Context.add(Wallet, timed("Wallet", yield* Wallet, traced)),
        Context.add(Payments, timed("Payments", yield* Payments, traced)),
        Context.add(Queue, timed("Queue", yield* Queue, traced)),
        Context.add(IdempotencyRecords, timed("IdempotencyRecords", yield* IdempotencyRecords, traced))
      )
    })
  ) satisfies Layer.Layer<StorePorts, never, StorePorts>

export const StoreMetrics = {
  layer: instrumented(false),
  /** The same, with a span per store call, named `Port.operation`, for a host that exports traces. */
  layerTraced: instrumented(true)
}
