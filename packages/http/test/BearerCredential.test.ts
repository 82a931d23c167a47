/**
 * `bearerCredential` reads an `Authorization` header exactly as HttpApi's
 * bearer security does (the Node lane and the fast routes use it; every
 * other route uses HttpApi's), for arbitrary headers near the edge cases:
 * the scheme in any case or misspelled, no space or several, an empty or
 * spaced credential.
 */
import { Effect, Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApiBuilder, HttpApiSecurity } from "effect/http-api"
import fc from "fast-check"
import { assert, describe, it } from "vitest"
import { bearerCredential } from "../src/PlainAnswer.ts"

const httpApiCredential = (authorization: string): string =>
  Redacted.value(Effect.runSync(HttpApiBuilder.securityDecode(HttpApiSecurity.bearer).pipe(
    Effect.provideService(
      HttpServerRequest.HttpServerRequest,
      HttpServerRequest.fromWeb(new Request("http://localhost/", { headers: { authorization } }))
    ),
    Effect.provideService(HttpServerRequest.ParsedSearchParams, {})
  )))

const header = fc.tuple(
  fc.constantFrom("Bearer", "bearer", "BEARER", "bEaReR", "Bear", "Bearerx", "Basic", ""),
  fc.constantFrom("", " ", "  ", "   ", "\t"),
  fc.stringMatching(/^[A-Za-z0-9._~+\/= -]{0,40}$/)
).map(([scheme, spaces, credential]) => `${scheme}${spaces}${credential}`)

describe("bearerCredential", () => {
  it("reads what HttpApi's bearer security reads", () => {
    fc.assert(
      fc.property(header, (raw) => {
        // A transport hands on the header as Node (or fetch) parsed it: without outer whitespace.
        const authorization = new Headers({ authorization: raw }).get("authorization")!
        assert.strictEqual(bearerCredential(authorization), httpApiCredential(authorization), JSON.stringify(authorization))
      }),
      { numRuns: 2_000 }
    )
  })

  it("has no credential without the header", () => {
    assert.strictEqual(bearerCredential(undefined), "")
    assert.strictEqual(bearerCredential("Bearer at1.x"), "at1.x")
  })
})
