/**
 * Spans over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set: one per HTTP
 * request (from Effect's HTTP server), per use case (`Booking.*`) and per
 * store call (`Catalog.findConcert`, `Payments.pay`, …), exported in batches
 * by OpenTelemetry's OTLP/HTTP exporter, which reads the standard `OTEL_*`
 * variables itself. Unset, no tracer is installed and store calls get no
 * span: tracing costs nothing.
 */
import { StoreMetrics } from "@boxoffice/core"
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Option, References } from "effect"
import { UrlParams } from "effect/http"
import type { ServerConfig } from "./ServerConfig.ts"

/** The tracer, or nothing when `endpoint` is none. */
export const tracingLayer = (endpoint: Option.Option<string>) =>
  Option.match(endpoint, {
    // Nothing would read the spans: each use case and store call then makes none.
    onNone: () => Layer.succeed(References.TracerEnabled, false),
    onSome: () =>
      Layer.merge(
        OtelTracer.layer,
        // A queue token rides in the event stream's query (browsers' EventSource sends no headers): never exported.
        Layer.succeed(UrlParams.CurrentRedactedNames, [...UrlParams.CurrentRedactedNames.defaultValue(), "token"])
      ).pipe(
        Layer.provide(
          Layer.effect(
            OtelTracer.OtelTracerProvider,
            Effect.acquireRelease(
              Effect.sync(
                () =>
                  new BasicTracerProvider({
                    resource: resourceFromAttributes({ "service.name": "boxoffice" }),
                    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())]
                  })
              ),
              // Flushes the spans still buffered when the server stops.
              (provider) => Effect.promise(() => provider.shutdown())
            )
          )
        )
      )
  })

/**
 * Store calls timed, and traced when tracing is on, wherever a store does
 * I/O. The in-memory stores answer in well under a microsecond, so timing
 * them would cost more than they take (measured on the polling path): a
 * fully in-memory server records no store-call latencies. Nor does a server
 * with `requestMetrics` off, unless it traces.
 */
export const storeInstrumentation = (config: ServerConfig, endpoint: Option.Option<string>) => {
  if (Option.isSome(endpoint)) return StoreMetrics.layerTraced
  const inMemory =
    config.store === "memory" &&
    Option.isNone(config.redisUrl) &&
    Option.isNone(config.redisClusterNodes ?? Option.none())
  return inMemory || config.requestMetrics === false ? Layer.empty : StoreMetrics.layer
}
