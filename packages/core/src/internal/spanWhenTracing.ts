import { Effect, References } from "effect"

/**
 * A use case's span, made only when tracing is enabled for the calling
 * fiber. `Effect.withSpan` makes a no-op span even with
 * `References.TracerEnabled` off, and provides it as the parent span for
 * the call: 1.3 µs per call in a tight loop, and about 6 µs of each status
 * poll on a loaded server (a fifth of its throughput).
 */
export const spanWhenTracing = (name: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => fiber.getRef(References.TracerEnabled) ? Effect.withSpan(self, name) : self)
