/**
 * Every place where core relies on how Effect (or V8) behaves beyond what
 * Effect documents, so an upgrade is checked here and nowhere else.
 * `test/EffectInternals.test.ts` fails if any of these changes.
 *
 * - `trustedInstance`: a `Schema.Class` instance is its fields assigned over
 *   the class's prototype (`Data.Class`).
 * - `OutcomeError`: a `Schema.TaggedError` class can be extended by a class
 *   whose constructor only wraps `super`, and records its stack when made.
 * - `spanWhenTracing`: `Effect.withSpan` makes a span even while tracing is
 *   off, which costs a use case more than the check below.
 *
 * @internal
 */
import { Effect, References, Schema } from "effect"

/**
 * An instance of a `Schema.Class` from fields already known to be valid,
 * without the constructor's parse (which checks every field's type and
 * structure even with `disableChecks`). For values the engine made itself,
 * on the hottest path: a queue entry per status poll.
 */
export const trustedInstance = <Self>(Class: { readonly prototype: Self }, fields: object): Self =>
  Object.assign(Object.create(Class.prototype as object) as object, fields) as Self

/** V8's limit on the frames an `Error` records (other engines may lack it, or freeze `Error`). */
const V8Error = Error as ErrorConstructor & { stackTraceLimit?: number | undefined }

const stackTraceLimitWritable = (() => {
  const descriptor = Object.getOwnPropertyDescriptor(V8Error, "stackTraceLimit")
  return descriptor !== undefined && (descriptor.writable === true || descriptor.set !== undefined)
})()

/**
 * `Schema.TaggedError` for an expected outcome of a use case (a seat someone
 * holds, a token still waiting): its instances record no stack trace, which
 * nobody reads and which costs more than the rest of a refusal. A store's
 * failures keep theirs.
 */
export const OutcomeError =
  <Self>() =>
  <const Tag extends string, const Fields extends Schema.Struct.Fields>(tag: Tag, fields: Fields) => {
    const Base = Schema.TaggedError<Self>()(tag, fields)
    class Stackless extends (Base as unknown as new (...args: ReadonlyArray<unknown>) => object) {
      constructor(...args: ReadonlyArray<unknown>) {
        const limit = V8Error.stackTraceLimit
        if (stackTraceLimitWritable) V8Error.stackTraceLimit = 0
        try {
          super(...args)
        } finally {
          if (stackTraceLimitWritable) V8Error.stackTraceLimit = limit
        }
      }
    }
    return Stackless as unknown as typeof Base
  }

/**
 * A use case's span, made only when tracing is enabled for the calling
 * fiber, as Effect's HTTP server does for its request span.
 */
export const spanWhenTracing =
  (name: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) => (fiber.getRef(References.TracerEnabled) ? Effect.withSpan(self, name) : self))
