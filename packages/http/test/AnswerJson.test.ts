/**
 * The queue shortcut's hand-written answers are byte for byte what their
 * response schemas encode, for arbitrary values, and they break as soon as
 * a schema's fields change.
 */
import { DateTime, Schema } from "effect"
import * as fc from "fast-check"
import { assert, describe, it } from "vitest"
import { QueueJoined, QueueRejoined, QueueStatusResponse } from "../src/Api.ts"
import { statusJson, ticketJson } from "../src/internal/AnswerJson.ts"

const runs = Number(process.env["BOXOFFICE_PROPERTY_RUNS"] ?? 500)

/** What the HttpApi path would send: the schema's encoding, stringified. */
const schemaJson = (responseClass: { readonly fields: Schema.Struct.Fields }) => {
  const encode = Schema.encodeSync(Schema.Struct(responseClass.fields) as unknown as Schema.Codec<unknown, unknown>)
  return (value: unknown) => JSON.stringify(encode(value))
}

// Instants with four-digit years, as the wire format requires, down to the millisecond.
const instant = fc
  .date({ min: new Date("1970-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true })
  .map((date) => DateTime.makeUnsafe(date.getTime()))
const count = fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.maxSafeInteger())
const statusFields = fc.record({
  status: fc.constantFrom("pending", "waiting", "active", "expired", "sold-out"),
  position: fc.option(count, { nil: null }),
  etaSeconds: fc.option(count, { nil: null }),
  activeUntil: fc.option(instant, { nil: null }),
  opensAt: fc.option(instant, { nil: null })
})

const cases = [
  {
    name: "QueueStatusResponse",
    responseClass: QueueStatusResponse,
    write: statusJson,
    values: statusFields
  },
  ...[QueueJoined, QueueRejoined].map((responseClass) => ({
    name: responseClass.identifier,
    responseClass,
    write: ticketJson,
    // Any text, to cover escaping: a queue token is opaque to the writer.
    values: fc
      .tuple(fc.string({ unit: "binary" }), statusFields)
      .map(([queueToken, fields]) => ({ queueToken, ...fields }))
  }))
] as const

describe("AnswerJson", () => {
  for (const { name, responseClass, write, values } of cases) {
    it(`${name}: byte-equal to the schema's encoding, keys in the schema's order`, () => {
      const expected = schemaJson(responseClass)
      fc.assert(
        fc.property(values, (value) => {
          const written = (write as (value: unknown) => string)(value)
          assert.strictEqual(written, expected(value))
          assert.deepStrictEqual(Object.keys(JSON.parse(written)), Object.keys(responseClass.fields))
        }),
        { numRuns: runs }
      )
    })
  }

  it("an instant is written as the schema writes it, to the millisecond", () => {
    const activeUntil = DateTime.makeUnsafe(Date.UTC(2026, 10, 24, 9, 30, 5, 7))
    const written = statusJson({ status: "active", position: null, etaSeconds: null, activeUntil, opensAt: null })
    assert.strictEqual(
      written,
      '{"status":"active","position":null,"etaSeconds":null,"activeUntil":"2026-11-24T09:30:05.007Z","opensAt":null}'
    )
  })
})
