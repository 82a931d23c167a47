/**
 * Requests by route and status, with their latency, as Effect metrics.
 * Routes are labelled by their template (`/holds/:holdId/payment`), never
 * by the raw path, so the number of series stays bounded.
 *
 * @since 0.2.0
 */
import { latencyBoundariesMs } from "@boxoffice/core"
import { Context, Effect, Exit, Metric } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"

/** Paths remembered per method; past it the memory starts over (paths carry ids, so they are unbounded). */
const pathsRememberedMax = 1_000

/** The value under `key`, made and kept on first use. */
const getOrMake = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
  let value = map.get(key)
  if (value === undefined) {
    value = make()
    map.set(key, value)
  }
  return value
}

/**
 * The series of one route and method: made once with their labels, so that
 * Effect computes each series key once, not on every update.
 */
class RouteSeries {
  readonly #counters = new Map<number, Metric.Counter<number>>()
  readonly #duration: Metric.Histogram<number>
  readonly route: string
  readonly method: string
  constructor(route: string, method: string) {
    this.route = route
    this.method = method
    this.#duration = Metric.histogram("boxoffice_http_request_duration", {
      description: "Time to answer an HTTP request (to its headers), in milliseconds, by route and method",
      boundaries: latencyBoundariesMs,
      attributes: { route, method }
    })
  }

  record(status: number, durationMs: number, context: Context.Context<never>): void {
    let counter = this.#counters.get(status)
    if (counter === undefined) {
      counter = Metric.counter("boxoffice_http_requests_total", {
        description: "HTTP requests answered, by route, method and status",
        incremental: true,
        attributes: { route: this.route, method: this.method, status: String(status) }
      })
      this.#counters.set(status, counter)
    }
    counter.updateUnsafe(1, context)
    this.#duration.updateUnsafe(durationMs, context)
  }
}

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
  /**
   * Records one route's answers for a transport that serves it outside the
   * router (the example server's front door for the queue shortcut): the
   * same series the middleware records, so `/metrics` cannot tell them apart.
   *
   * @example
   * ```ts
   * import { RequestMetrics } from "@boxoffice/http"
   * import { Context } from "effect"
   * const record = RequestMetrics.recorder("GET", "/queue/status")
   * record(200, 0.4, Context.empty())
   * ```
   */
  recorder: (
    method: string,
    route: string
  ): ((status: number, durationMs: number, context: Context.Context<never>) => void) => {
    const series = new RouteSeries(route, method)
    return (status, durationMs, context) => series.record(status, durationMs, context)
  },
  layer: (routeOf: (method: string, path: string) => string | null) => {
    // Per method, each recent path's series; per route template, one series shared by its paths.
    const byPath = new Map<string, Map<string, RouteSeries>>()
    const byRoute = new Map<string, Map<string, RouteSeries>>()
    const seriesOf = (method: string, url: string): RouteSeries => {
      const query = url.indexOf("?")
      const path = query === -1 ? url : url.slice(0, query)
      const paths = getOrMake(byPath, method, () => new Map<string, RouteSeries>())
      const known = paths.get(path)
      if (known !== undefined) return known
      const route = routeOf(method, path) ?? "unmatched"
      const routes = getOrMake(byRoute, method, () => new Map<string, RouteSeries>())
      const series = getOrMake(routes, route, () => new RouteSeries(route, method))
      if (paths.size >= pathsRememberedMax) paths.clear()
      paths.set(path, series)
      return series
    }
    return HttpRouter.middleware(
      (httpEffect) =>
        // One step in, one on exit: the series is found before the request runs, and both
        // updates happen on the exit, on the request fiber's own context.
        Effect.withFiber((fiber) => {
          const context = fiber.context
          const request = Context.getUnsafe(context, HttpServerRequest.HttpServerRequest)
          const series = seriesOf(request.method, request.url)
          const startedMs = performance.now()
          return Effect.onExit(httpEffect, (exit) => {
            series.record(Exit.isSuccess(exit) ? exit.value.status : 500, performance.now() - startedMs, context)
            return Effect.void
          })
        }),
      { global: true }
    )
  }
}
