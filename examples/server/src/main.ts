/**
 * Starts the example server. Configuration comes from the environment
 * (docs/spec.md, Server configuration); SIGTERM drains in-flight requests and exits.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, Layer, Runtime } from "effect"
import { serverLayer } from "./App.ts"
import { JsonLog } from "./JsonLog.ts"
import { serverConfig } from "./ServerConfig.ts"

/** A shutdown asked for by a signal, after draining, is a clean exit; anything else keeps its code. */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

Effect.flatMap(serverConfig, (config) => Layer.launch(serverLayer(config))).pipe(
  Effect.provide(JsonLog),
  NodeRuntime.runMain({ teardown })
)
