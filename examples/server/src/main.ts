/**
 * Starts the example server. Configuration comes from the environment
 * (DESIGN §5); SIGTERM drains in-flight requests and exits.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger } from "effect"
import { serverLayer } from "./App.ts"
import { serverConfig } from "./ServerConfig.ts"

Effect.flatMap(serverConfig, (config) => Layer.launch(serverLayer(config))).pipe(
  Effect.provide(Logger.layer([Logger.consoleJson])),
  NodeRuntime.runMain
)
