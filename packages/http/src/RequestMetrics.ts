/**
 * Requests by route and status, with their latency, as Effect metrics.
 * Routes are labelled by their template (`/holds/:holdId/payment`), never
 * by the raw path, so the number of series stays bounded.
 *
 * @since 0.2.0
 */
import { latencyBoundariesMs } from "@boxoffice/core"
import { Clock, Duration, Effect, Exit, Metric } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"

/** @category metrics */
export const RequestMetricsDefinitions = {
  requests: Metric.counter("boxoffice_http_requests_total", {
    description: "HTTP requests answered, by route, method and status",
    incremental: true
  }),
  duration: Metric.timer("boxoffice_http_request_duration", {
    description: "Time to answer an HTTP request (to its headers), by route and method",
    boundaries: latencyBoundariesMs
  })
} as const

/**
 * The middleware. `routeOf` maps a method and path to its route template,
 * or null for a request no route takes.
 *
 * @example
 * ```ts
 * import { RequestMetrics } from "@boxoffice/http"
 * const metrics = RequestMetrics.layer((method, path) => path === "/health" ? "/health" : null)
 * ```
 * @category layers
 */
export const RequestMetrics = {
  layer: (routeOf: (method: string, path: string) => string | null) => {
    // One labelled metric per series, made once: labelling costs nothing per request after that.
    const counters = new Map<string, Metric.Counter<number>>()
    const timers = new Map<string, Metric.Histogram<Duration.Duration>>()
    const counterFor = (route: string, method: string, status: number) => {
      const key = `${method} ${route} ${status}`
      let counter = counters.get(key)
      if (counter === undefined) {
        counter = Metric.withAttributes(RequestMetricsDefinitions.requests, { route, method, status: String(status) })
        counters.set(key, counter)
      }
      return counter
    }
    const timerFor = (route: string, method: string) => {
      const key = `${method} ${route}`
      let timer = timers.get(key)
      if (timer === undefined) {
        timer = Metric.withAttributes(RequestMetricsDefinitions.duration, { route, method })
        timers.set(key, timer)
      }
      return timer
    }
    return HttpRouter.middleware((httpEffect) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const route = routeOf(request.method, request.url.split("?")[0]!) ?? "unmatched"
        const startedNs = yield* Clock.currentTimeNanos
        return yield* Effect.onExit(httpEffect, (exit) =>
          Effect.flatMap(Clock.currentTimeNanos, (endedNs) =>
            Effect.andThen(
              Metric.update(counterFor(route, request.method, Exit.isSuccess(exit) ? exit.value.status : 500), 1),
              Metric.update(timerFor(route, request.method), Duration.nanos(endedNs - startedNs))
            )))
      }), { global: true })
  }
}
