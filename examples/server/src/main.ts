/**
 * Starts the example server. Configuration comes from the environment
 * (docs/spec.md, Server configuration); SIGTERM drains in-flight requests and exits.
 * With `BOXOFFICE_WORKERS=N` (N > 1) this process supervises N server processes on the one port.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, Layer, References, Runtime } from "effect"
import { serverLayer } from "./App.ts"
import { JsonLog } from "./JsonLog.ts"
import { type ServerConfig, serverConfig } from "./ServerConfig.ts"
import { isPrimary, superviseWorkers } from "./Workers.ts"

/** A shutdown asked for by a signal, after draining, is a clean exit; anything else keeps its code. */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

const serve = (config: ServerConfig): Effect.Effect<never, unknown> =>
  (config.workers ?? 1) > 1 && isPrimary()
    ? Effect.andThen(
        Effect.logInfo(`starting ${config.workers} workers on port ${config.port}`),
        superviseWorkers(config.workers!)
      )
    : Layer.launch(serverLayer(config))

// A failure to start (a configuration it refuses) or to go on is logged as JSON, like every other line,
// before the process exits; the runtime's own report, in text, is off.
Effect.flatMap(serverConfig, (config) =>
  Effect.provideService(serve(config), References.MinimumLogLevel, config.logLevel ?? "Info")
).pipe(
  Effect.tapCause((cause) =>
    Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logFatal("the server stopped", cause)
  ),
  Effect.provide(JsonLog),
  NodeRuntime.runMain({ teardown, disableErrorReporting: true })
)
