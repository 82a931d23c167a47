/**
 * What `internal/EffectInternals.ts` relies on still holds in the installed
 * Effect, so an upgrade that changes it fails here:
 * - a trusted instance (built without the constructor's parse) is the same
 *   value as a constructed one, for arbitrary valid fields: equal, encoded
 *   alike, recognised by its schema, with the same fields in the same order;
 * - an outcome error records no stack frames and is otherwise the same error,
 *   made or decoded, and the limit on frames comes back; a store failure
 *   keeps its stack;
 * - a use case's span exists exactly when tracing is on for its fiber.
 */
import {
  type ConcertId,
  QueueEntry,
  QueueNotAdmitted,
  type QueueTokenId,
  QueueTokenClaims,
  SeatUnavailable,
  Unavailable,
  type UserId
} from "@boxoffice/core"
import { DateTime, Effect, Equal, Option, References, Schema } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { spanWhenTracing } from "../src/internal/EffectInternals.ts"

const runs = Number(process.env["BOXOFFICE_PROPERTY_RUNS"] ?? 500)

const id = <Id extends string>() => fc.uuid().map((uuid) => uuid as Id)
const instant = fc
  .date({ min: new Date("1970-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true })
  .map((date) => DateTime.makeUnsafe(date.getTime()))
const int = fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.maxSafeInteger())

const entryFields = fc.record({
  tokenId: id<QueueTokenId>(),
  concertId: id<ConcertId>(),
  userId: id<UserId>(),
  joinSequence: int,
  joinedAt: instant,
  status: fc.constantFrom("pending" as const, "waiting" as const, "active" as const, "expired" as const),
  position: fc.option(int, { nil: null }),
  etaSeconds: fc.option(int, { nil: null }),
  admittedAt: fc.option(instant, { nil: null }),
  activeUntil: fc.option(instant, { nil: null }),
  opensAt: fc.option(instant, { nil: null })
})
const claimsFields = fc.record({
  tokenId: id<QueueTokenId>(),
  userId: id<UserId>(),
  concertId: id<ConcertId>(),
  issuedAtMs: int
})

const sameValue = <A extends object>(schema: Schema.Codec<A, unknown>, trusted: A, constructed: A) => {
  assert.instanceOf(trusted, constructed.constructor as new (...args: Array<any>) => A)
  assert.isTrue(Schema.is(schema)(trusted))
  assert.isTrue(Equal.equals(trusted, constructed))
  assert.deepStrictEqual(trusted, constructed)
  assert.deepStrictEqual(Object.keys(trusted), Object.keys(constructed))
  assert.strictEqual(String(trusted), String(constructed))
  assert.deepStrictEqual(Schema.encodeSync(schema)(trusted), Schema.encodeSync(schema)(constructed))
}

describe("trusted instances", () => {
  it("QueueEntry.trusted is the entry the constructor makes", () => {
    fc.assert(
      fc.property(entryFields, (fields) => sameValue(QueueEntry, QueueEntry.trusted(fields), new QueueEntry(fields))),
      { numRuns: runs }
    )
  })

  it("QueueTokenClaims.trusted is the claims the constructor makes", () => {
    fc.assert(
      fc.property(claimsFields, (fields) =>
        sameValue(QueueTokenClaims, QueueTokenClaims.trusted(fields), new QueueTokenClaims(fields))
      ),
      { numRuns: runs }
    )
  })
})

const frames = (error: Error) =>
  (error.stack ?? "").split("\n").filter((line) => line.trimStart().startsWith("at ")).length

describe("outcome errors", () => {
  it("record no frames and are otherwise the same errors, made or decoded", () => {
    const limit = Error.stackTraceLimit
    const refusal = new SeatUnavailable({ seatNumbers: [3, 4] })
    assert.strictEqual(frames(refusal), 0)
    assert.strictEqual(Error.stackTraceLimit, limit)
    assert.instanceOf(refusal, SeatUnavailable)
    assert.instanceOf(refusal, Error)
    assert.strictEqual(refusal._tag, "SeatUnavailable")
    assert.strictEqual(refusal.code, "seat-unavailable")
    assert.deepStrictEqual(refusal.seatNumbers, [3, 4])
    assert.isTrue(Schema.is(SeatUnavailable)(refusal))
    const decoded = Schema.decodeUnknownSync(QueueNotAdmitted)({ _tag: "QueueNotAdmitted", position: 12 })
    assert.instanceOf(decoded, QueueNotAdmitted)
    assert.strictEqual(decoded.position, 12)
    assert.strictEqual(frames(decoded), 0)
    assert.isAbove(frames(new Error("after")), 0)
  })

  it("leave a store failure its stack", () => {
    assert.isAbove(frames(new Unavailable({ store: "postgres", cause: new Error("refused") })), 0)
  })
})

describe("spanWhenTracing", () => {
  const spanName = Effect.currentSpan.pipe(
    Effect.map((span) => Option.some(span.name)),
    Effect.catch(() => Effect.succeed(Option.none<string>())),
    spanWhenTracing("Booking.test")
  )
  it("makes the span when tracing is on, and none when it is off", () => {
    assert.deepStrictEqual(Effect.runSync(spanName), Option.some("Booking.test"))
    assert.deepStrictEqual(
      Effect.runSync(Effect.provideService(spanName, References.TracerEnabled, false)),
      Option.none()
    )
  })
})
