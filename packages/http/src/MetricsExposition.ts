/**
 * What `GET /metrics` serves: the host provides the exposition (the example
 * server renders Effect's metrics in the Prometheus text format through
 * OpenTelemetry's exporter). Without it, `/metrics` is `not-found`.
 *
 * @since 0.2.0
 */
import { Context, type Effect } from "effect"

/**
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { MetricsExposition } from "@boxoffice/http"
 * const fixed = Layer.succeed(MetricsExposition, { render: Effect.succeed("# no metrics\n") })
 * ```
 * @category services
 */
export class MetricsExposition extends Context.Service<
  MetricsExposition,
  {
    /** The metrics now, in the Prometheus text exposition format. */
    readonly render: Effect.Effect<string>
  }
>()("@boxoffice/http/MetricsExposition") {}
