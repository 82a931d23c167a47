/**
 * A trusted instance (built without the constructor's parse) is the same
 * value as a constructed one, for arbitrary valid fields: equal, encoded
 * alike, recognised by its schema, with the same fields in the same order.
 */
import { type ConcertId, QueueEntry, type QueueTokenId, QueueTokenClaims, type UserId } from "@boxoffice/core"
import { DateTime, Equal, Schema } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"

const runs = Number(process.env["BOXOFFICE_PROPERTY_RUNS"] ?? 500)

const id = <Id extends string>() => fc.uuid().map((uuid) => uuid as Id)
const instant = fc.date({ min: new Date("1970-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true })
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
const claimsFields = fc.record({ tokenId: id<QueueTokenId>(), userId: id<UserId>(), concertId: id<ConcertId>(), issuedAtMs: int })

const sameValue = <A extends object>(schema: Schema.Codec<A, unknown>, trusted: A, constructed: A) => {
  assert.instanceOf(trusted, constructed.constructor as new(...args: Array<any>) => A)
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
      fc.property(claimsFields, (fields) => sameValue(QueueTokenClaims, QueueTokenClaims.trusted(fields), new QueueTokenClaims(fields))),
      { numRuns: runs }
    )
  })
})
