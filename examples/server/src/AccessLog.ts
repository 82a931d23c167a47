/**
 * The access log, at a cost a busy server can afford. `all` logs every
 * answered request (Effect's own line: method, path, status, duration);
 * `errors`, the default, logs only what an operator must see: answers of
 * 500 and above, and failures that reached the server. At full load a line
 * per request cost a fifth of a polled server's throughput; the counts and
 * latencies by route are in /metrics either way.
 */
import { Cause, Effect, Exit } from "effect"
import { HttpMiddleware, HttpRouter, HttpServerRequest, type HttpServerResponse } from "effect/http"

/** `BOXOFFICE_ACCESS_LOG`. */
export type AccessLogMode = "all" | "errors"

/**
 * The access log as a router middleware for every route. (As `serve`'s own
 * middleware it would take each request off Effect's fast path, which skips
 * a middleware frame when there is none.)
 */
export const accessLogLayer = (mode: AccessLogMode) =>
  HttpRouter.middleware(mode === "all" ? HttpMiddleware.logger : logErrors, { global: true })

/**
 * The line `errors` mode writes for an answer of 500 and above, or a
 * failure that reached the server; nothing for any other answer.
 */
export const logServerError = (
  method: string,
  url: string,
  exit: Exit.Exit<{ readonly status: number }, unknown>
): Effect.Effect<void> => {
  if (Exit.isSuccess(exit) && exit.value.status < 500) return Effect.void
  return Effect.annotateLogs(
    Exit.isSuccess(exit) ? Effect.logError("Sent HTTP response") : Effect.logError("Request failed", Cause.pretty(exit.cause)),
    {
      "http.method": method,
      "http.url": url.split("?")[0]!,
      "http.status": Exit.isSuccess(exit) ? exit.value.status : 500
    }
  )
}

const logErrors = <E, R>(httpApp: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.onExit(httpApp, (exit) => {
    if (Exit.isSuccess(exit) && exit.value.status < 500) return Effect.void
    return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => logServerError(request.method, request.url, exit))
  })
