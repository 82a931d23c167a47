/**
 * `GET /metrics`: Effect's metrics (the engine's sales and money counters,
 * store call latencies, HTTP requests and latencies, queue gauges) through
 * OpenTelemetry's metrics SDK, rendered in the Prometheus text format by
 * OpenTelemetry's Prometheus exporter, which runs no server of its own.
 */
import { Catalog, Queue } from "@boxoffice/core"
import { MetricsExposition } from "@boxoffice/http"
import * as OtelMetrics from "@effect/opentelemetry/OtelMetrics"
import * as Resource from "@effect/opentelemetry/Resource"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { DateTime, Effect, Layer, Metric } from "effect"

const queueGauge = (name: string, description: string, concert: string) =>
  Metric.gauge(name, { description, attributes: { concert } })

/** The queues a scrape refreshes the gauges of: the newest concerts with a date still ahead. */
const gaugedConcertsMax = 100

export const MetricsLive = Layer.unwrap(
  Effect.sync(() => {
    const exporter = new PrometheusExporter({ preventServerStart: true })
    const serializer = new PrometheusSerializer()
    const exposition = Layer.effect(
      MetricsExposition,
      Effect.gen(function* () {
        const catalog = yield* Catalog
        const queue = yield* Queue
        // Queue gauges are read from the queue store at scrape time, so every instance reports the same.
        const refreshQueueGauges = Effect.gen(function* () {
          const nowMs = DateTime.toEpochMillis(yield* DateTime.now)
          const concerts = (yield* catalog.listConcerts)
            .filter((concert) => concert.dates.some((date) => DateTime.toEpochMillis(date.startsAt) > nowMs))
            .slice(-gaugedConcertsMax)
          yield* Effect.forEach(
            concerts,
            (concert) =>
              Effect.flatMap(queue.stats(concert.concertId, concert.policy.queue), (stats) =>
                Effect.all(
                  [
                    Metric.update(
                      queueGauge(
                        "boxoffice_queue_pending",
                        "People who joined before the opening, awaiting the draw",
                        concert.concertId
                      ),
                      stats.pending
                    ),
                    Metric.update(
                      queueGauge("boxoffice_queue_waiting", "People waiting in a concert's queue", concert.concertId),
                      stats.waiting
                    ),
                    Metric.update(
                      queueGauge(
                        "boxoffice_queue_active",
                        "People admitted and active in a concert's queue",
                        concert.concertId
                      ),
                      stats.active
                    )
                  ],
                  { discard: true }
                )
              ),
            { concurrency: 8, discard: true }
          )
        }).pipe(Effect.ignore)
        return MetricsExposition.of({
          render: Effect.andThen(
            refreshQueueGauges,
            Effect.map(
              Effect.promise(() => exporter.collect()),
              ({ resourceMetrics }) => serializer.serialize(resourceMetrics)
            )
          )
        })
      })
    )
    const bridge = OtelMetrics.layer(() => exporter, { temporality: "cumulative" }).pipe(
      Layer.provide(Resource.layer({ serviceName: "boxoffice" }))
    )
    return Layer.merge(exposition, bridge)
  })
)
