/**
 * Requests by route and status, with their latency, as Effect metrics.
 * Routes are labelled by their template (`/holds/:holdId/payment`), never
 * by the raw path, so the number of series stays bounded.
 *
 * @since 0.2.0
 */
import { latencyBoundariesMs } from "@boxoffice/core"
import { type Context, Duration, Effect, Exit, Metric } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"

/** The series of one route: a metric made with its labels, so its registry key is computed once. */
const requestsOf = (route: string, method: string, status: number) =>
  Metric.counter("boxoffice_http_requests_total", {
    description: "HTTP requests answered, by route, method and status",
    incremental: true,
    attributes: { route, method, status: String(status) }
  })
const durationOf = (route: string, method: string) =>
  Metric.timer("boxoffice_http_request_duration", {
    description: "Time to answer an HTTP request (to its headers), by route and method",
    boundaries: latencyBoundariesMs,
    attributes: { route, method }
  })

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
    // One metric per series, made once with its labels: `Metric.withAttributes` would rebuild the
    // series key on every update, which showed in the profile of a polled server.
    const counters = new Map<string, Metric.Counter<number>>()
    const timers = new Map<string, Metric.Histogram<Duration.Duration>>()
    const counterFor = (route: string, method: string, status: number) => {
      const key = `${method} ${route} ${status}`
      let counter = counters.get(key)
      if (counter === undefined) {
        counter = requestsOf(route, method, status)
        counters.set(key, counter)
      }
      return counter
    }
    const timerFor = (route: string, method: string) => {
      const key = `${method} ${route}`
      let timer = timers.get(key)
      if (timer === undefined) {
        timer = durationOf(route, method)
        timers.set(key, timer)
      }
      return timer
    }
    return HttpRouter.middleware((httpEffect) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        const route = routeOf(request.method, request.url.split("?")[0]!) ?? "unmatched"
        const startedMs = performance.now()
        // Both updates in one step on the fiber's context, rather than two effects.
        return Effect.onExit(httpEffect, (exit) =>
          Effect.contextWith((context: Context.Context<never>) => {
            counterFor(route, request.method, Exit.isSuccess(exit) ? exit.value.status : 500).updateUnsafe(1, context)
            timerFor(route, request.method).updateUnsafe(Duration.millis(performance.now() - startedMs), context)
            return Effect.void
          }))
      }), { global: true })
  }
}
