/**
 * The access log, at a cost a busy server can afford. `all` logs every
 * answered request (method, path, status); `errors`, the default, logs only
 * what an operator must see: answers of 500 and above, and failures that
 * reached the server. The counts and latencies by route are in /metrics
 * either way. One function, `logAnswer`, writes every line: the transport
 * guards' answer hook and the queue shortcut's front door both call it.
 */
import { Cause, Effect, Exit } from "effect"

/** `BOXOFFICE_ACCESS_LOG`. */
export type AccessLogMode = "all" | "errors"

/**
 * The line for one answered request, or none: at INFO for every answer in
 * `all` mode, at ERROR for an answer of 500 and above or a failure in
 * either mode.
 *
 * @example
 * ```ts
 * import { Exit } from "effect"
 * const line = logAnswer("errors", "GET", "/queue/status?x=1", Exit.succeed({ status: 503 }))
 * ```
 */
export const logAnswer = (
  mode: AccessLogMode,
  method: string,
  url: string,
  exit: Exit.Exit<{ readonly status: number }, unknown>
): Effect.Effect<void> => {
  const failed = Exit.isFailure(exit)
  const status = Exit.isSuccess(exit) ? exit.value.status : 500
  if (!failed && status < 500 && mode === "errors") return Effect.void
  const annotations = { "http.method": method, "http.url": url.split("?")[0]!, "http.status": status }
  if (failed) return Effect.annotateLogs(Effect.logError("Request failed", Cause.pretty(exit.cause)), annotations)
  return Effect.annotateLogs(
    status >= 500 ? Effect.logError("Sent HTTP response") : Effect.logInfo("Sent HTTP response"),
    annotations
  )
}

/**
 * The access log of `mode` as the transport guards' answer hook, which sees
 * every answer as the guards made it (a refused body is its 413, not a
 * failure).
 */
export const accessLogHook =
  (mode: AccessLogMode) =>
  (method: string, url: string, exit: Exit.Exit<{ readonly status: number }, unknown>): Effect.Effect<void> =>
    logAnswer(mode, method, url, exit)
