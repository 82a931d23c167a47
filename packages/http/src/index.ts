/**
 * @boxoffice/http: the HTTP contract of boxoffice on effect/http-api.
 *
 * @since 0.1.0
 * @packageDocumentation
 * @module @boxoffice/http
 */
export * from "./Api.ts"
export * from "./Client.ts"
export * from "./EventMessages.ts"
export * from "./JwtIdentity.ts"
export * from "./Problems.ts"
export * from "./QueueEventsHub.ts"
export * from "./RequestMetrics.ts"
export * from "./MetricsExposition.ts"
export * from "./Security.ts"
export * from "./Server.ts"
export * from "./TransportGuards.ts"
export * from "./TransportProblems.ts"
export * from "./Version.ts"
export * from "./QueueShortcut.ts"
export * from "./RateLimits.ts"
export * from "./ClientAddress.ts"
