/**
 * HTTP fuzzing: at least 2,000 generated malformed or hostile requests per
 * run — bad JSON, wrong types, huge and negative numbers, out-of-range
 * seats, forged and altered tokens, other users' holds, a missing admin key.
 * Each must get a 4xx problem+json with a code, never a 5xx, and the state
 * read back afterwards must be exactly what it was.
 */
import * as fc from "fast-check"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import {
  admittedUser,
  call,
  type CallOptions,
  newConcert,
  type RunningServer,
  startServer
} from "./support/TestServer.ts"

let server: RunningServer
let base: string
beforeAll(async () => {
  server = await startServer()
  base = server.url
})
afterAll(async () => {
  await server?.close()
})

const codes = new Set([
  "invalid-request",
  "unauthenticated",
  "queue-token-invalid",
  "queue-not-admitted",
  "queue-token-expired",
  "forbidden",
  "not-found",
  "seat-unavailable",
  "hold-limit-exceeded",
  "already-paid",
  "idempotency-in-flight",
  "hold-expired",
  "insufficient-balance",
  "idempotency-key-reused",
  "balance-limit-exceeded"
])

describe("HTTP fuzzing", () => {
  it("2,000+ hostile requests: each a 4xx problem+json with a known code, and nothing changes", async () => {
    // A world to attack: a concert, two admitted users, a hold of A's and a paid hold of A's.
    const concert = await newConcert(base, { maxSeatsPerUser: 4 })
    const dateId = concert.dates[0]!.dateId
    const a = await admittedUser(base, concert.concertId)
    const b = await admittedUser(base, concert.concertId)
    const asA = { token: a.accessToken, queueToken: a.queueToken }
    await call(base, "POST", "/wallet/charges", { ...asA, body: { amount: 100_000 } })
    const paidHold = (await call(base, "POST", `/dates/${dateId}/holds`, { ...asA, body: { seatNumbers: [1] } })).body
    await call(base, "POST", `/holds/${paidHold.holdId}/payment`, { ...asA, idempotencyKey: "paid" })
    const a2 = await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: a.accessToken })
    const asA2 = { token: a.accessToken, queueToken: a2.body.queueToken as string }
    const heldHold = (await call(base, "POST", `/dates/${dateId}/holds`, { ...asA2, body: { seatNumbers: [2, 3] } }))
      .body

    const snapshot = async () =>
      JSON.stringify({
        concerts: (await call(base, "GET", "/concerts")).body,
        seats: (await call(base, "GET", `/dates/${dateId}/seats`, asA2)).body,
        walletA: (await call(base, "GET", "/wallet", asA)).body,
        walletB: (await call(base, "GET", "/wallet", { token: b.accessToken })).body,
        paymentsA: (await call(base, "GET", "/payments", asA)).body,
        heldHold: (await call(base, "GET", `/holds/${heldHold.holdId}`, asA)).body,
        statusA: (await call(base, "GET", "/queue/status", asA2)).body.status,
        statusB: (await call(base, "GET", "/queue/status", { token: b.accessToken, queueToken: b.queueToken })).body
          .status
      })
    const before = await snapshot()

    const tamper = (token: string) =>
      fc.oneof(
        fc.constant(""),
        fc.constant(token.slice(0, -1)),
        fc.constant(`${token}x`),
        fc
          .nat({ max: token.length - 1 })
          .map((i) => token.slice(0, i) + (token[i] === "A" ? "B" : "A") + token.slice(i + 1)),
        fc.string({ maxLength: 80 }).filter((s) => !/[\r\n\0]/.test(s) && /^[\x20-\x7e]*$/.test(s))
      )
    const hugeOrWrong = fc.oneof(
      fc.constantFrom(0, -1, -10_000_000, 1.5, 1e300, 10_000_001, 2 ** 53, Number.MAX_SAFE_INTEGER),
      fc.string({ maxLength: 20 }),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.boolean()
    )
    const badJson = fc.constantFrom("{", '{"amount":', "[", "nul", '{"seatNumbers": [1,}', '"\\u00"', "{}{}")
    const idLike = fc.oneof(
      fc.constant("not-a-uuid"),
      fc.constant("0"),
      fc.constant(`${crypto.randomUUID()}x`),
      fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent)
    )

    type Attack = { readonly method: string; readonly path: string; readonly options: CallOptions }
    const attack: fc.Arbitrary<Attack> = fc.oneof(
      // Wallet: bad amounts, bad JSON, forged tokens.
      hugeOrWrong.map((amount) => ({
        method: "POST",
        path: "/wallet/charges",
        options: { token: b.accessToken, body: { amount } }
      })),
      badJson.map((rawBody) => ({
        method: "POST",
        path: "/wallet/charges",
        options: { token: b.accessToken, rawBody }
      })),
      tamper(b.accessToken).map((token) => ({
        method: "POST",
        path: "/wallet/charges",
        options: { token, body: { amount: 1_000 } }
      })),
      // Holds: out-of-range or repeated seats, wrong types, forged queue tokens, another user's token.
      fc
        .oneof(
          fc
            .array(fc.integer({ min: -5, max: 60 }), { maxLength: 25 })
            .filter(
              (s) => s.some((n) => n < 1 || n > 50) || new Set(s).size !== s.length || s.length === 0 || s.length > 20
            ),
          // Wrong types only: hugeOrWrong also makes small integer arrays, which can be valid seat lists.
          hugeOrWrong.filter((value) => !Array.isArray(value))
        )
        .map((seatNumbers) => ({
          method: "POST",
          path: `/dates/${dateId}/holds`,
          options: { token: b.accessToken, queueToken: b.queueToken, body: { seatNumbers } }
        })),
      badJson.map((rawBody) => ({
        method: "POST",
        path: `/dates/${dateId}/holds`,
        options: { token: b.accessToken, queueToken: b.queueToken, rawBody }
      })),
      tamper(b.queueToken).map((queueToken) => ({
        method: "POST",
        path: `/dates/${dateId}/holds`,
        options: { token: b.accessToken, queueToken, body: { seatNumbers: [40] } }
      })),
      fc.constant({
        method: "POST",
        path: `/dates/${dateId}/holds`,
        options: { token: b.accessToken, queueToken: a2.body.queueToken, body: { seatNumbers: [41] } }
      }),
      // Other users' holds, paid holds, malformed ids.
      fc
        .constantFrom("GET", "DELETE")
        .map((method) => ({ method, path: `/holds/${heldHold.holdId}`, options: { token: b.accessToken } })),
      fc.constant({
        method: "POST",
        path: `/holds/${heldHold.holdId}/payment`,
        options: { token: b.accessToken, queueToken: b.queueToken }
      }),
      fc.constant({ method: "POST", path: `/holds/${paidHold.holdId}/payment`, options: { ...asA2 } }),
      fc.constant({ method: "DELETE", path: `/holds/${paidHold.holdId}`, options: { token: a.accessToken } }),
      idLike.map((id) => ({ method: "GET", path: `/holds/${id}`, options: { token: b.accessToken } })),
      idLike.map((id) => ({
        method: "GET",
        path: `/dates/${id}/seats`,
        options: { token: b.accessToken, queueToken: b.queueToken }
      })),
      idLike.map((id) => ({ method: "POST", path: `/concerts/${id}/queue`, options: { token: b.accessToken } })),
      // Admin without, or with a wrong, key; admin bodies of the wrong shape.
      fc.oneof(fc.constant(undefined), tamper("test-admin-key")).map((token) => ({
        method: "POST",
        path: "/admin/concerts",
        options: {
          ...(token === undefined ? {} : { token }),
          body: { title: "x", dates: [{ startsAt: "2030-01-01T00:00:00Z", price: 1 }] }
        }
      })),
      hugeOrWrong
        .filter((p) => !(Number.isInteger(p) && (p as number) >= 0 && (p as number) <= 500_000))
        .map((price) => ({
          method: "POST",
          path: "/admin/concerts",
          options: {
            token: "test-admin-key",
            body: { title: "x", dates: [{ startsAt: "2030-01-01T00:00:00Z", price }] }
          }
        })),
      fc.string({ maxLength: 30 }).map((startsAt) => ({
        method: "POST",
        path: "/admin/concerts",
        options: { token: "test-admin-key", body: { title: "x", dates: [{ startsAt, price: 1 }] } }
      })),
      // Queue routes with bad tokens; SSE with forged tokens; unknown routes.
      tamper(b.queueToken).map((queueToken) => ({
        method: "GET",
        path: "/queue/status",
        options: { token: b.accessToken, queueToken }
      })),
      tamper(b.queueToken).map((queueToken) => ({
        method: "DELETE",
        path: "/queue",
        options: { token: b.accessToken, queueToken }
      })),
      fc.constant({
        method: "GET",
        path: "/queue/status",
        options: { token: b.accessToken, queueToken: a2.body.queueToken }
      }),
      tamper(b.queueToken).map((token) => ({
        method: "GET",
        path: `/queue/events?token=${encodeURIComponent(token)}`,
        options: {}
      })),
      fc
        .constantFrom("/nope", "/admin", "/holds", "/dates//seats", "/wallet/charges/x")
        .map((path) => ({ method: "GET", path, options: { token: b.accessToken } })),
      // Reusing a paid key with another body.
      fc.constant({
        method: "POST",
        path: "/wallet/charges",
        options: { token: a.accessToken, idempotencyKey: "paid", body: { amount: 5 } }
      })
    )

    let requests = 0
    const seen = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(attack, async ({ method, path, options }) => {
        requests++
        const answer = await call(base, method, path, options)
        seen.set(String(answer.body?.code), (seen.get(String(answer.body?.code)) ?? 0) + 1)
        const ok =
          answer.status >= 400 &&
          answer.status < 500 &&
          answer.contentType.startsWith("application/problem+json") &&
          codes.has(answer.body.code) &&
          answer.body.status === answer.status &&
          typeof answer.body.detail === "string"
        if (!ok)
          throw new Error(
            `${method} ${path} ${JSON.stringify(options).slice(0, 300)} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`
          )
      }),
      { numRuns: 2_000 }
    )
    assert.strictEqual(await snapshot(), before)
    console.log(
      `[fuzz] ${requests} hostile requests, all 4xx problem+json; codes: ${JSON.stringify(Object.fromEntries(seen))}`
    )
    assert.isAtLeast(requests, 2_000)
  }, 300_000)
})
