/**
 * Proves the fair start over HTTP on the embedded engine: `opensAt` on
 * creation (a past one means now, a malformed one is 400 and creates
 * nothing), the pending status with `opensAt` in joins, polls, SSE and the
 * typed client, nobody admitted early, and the draw at the opening.
 */
import { makeClient } from "@boxoffice/http"
import { Effect } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { adminKey, call, eventsOf, isProblem, newUser, type RunningServer, startServer } from "./support/TestServer.ts"

let server: RunningServer
let base: string
beforeAll(async () => {
  server = await startServer()
  base = server.url
})
afterAll(async () => {
  await server?.close()
})

const concertOpeningAt = async (opensAt: string, maxActive = 2) => {
  const created = await call(base, "POST", "/admin/concerts", {
    token: adminKey,
    body: {
      title: "Fair start",
      opensAt,
      dates: [{ startsAt: "2031-01-01T19:00:00Z", price: 1_000 }],
      queue: { maxActive }
    }
  })
  assert.strictEqual(created.status, 201, JSON.stringify(created.body))
  return created.body.concertId as string
}

describe("fair start over HTTP", () => {
  it("a malformed opensAt is 400 and creates nothing; a past one means open now", async () => {
    const before = (await call(base, "GET", "/concerts")).body.length
    for (const opensAt of ["tomorrow", "2030-13-01T00:00:00Z", "2030-01-01", 1_900_000_000_000, null, ""]) {
      const answer = await call(base, "POST", "/admin/concerts", {
        token: adminKey,
        body: { title: "Bad opening", opensAt, dates: [{ startsAt: "2031-01-01T19:00:00Z", price: 1_000 }] }
      })
      assert.isTrue(
        isProblem(answer, 400, "invalid-request"),
        `${JSON.stringify(opensAt)}: ${JSON.stringify(answer.body)}`
      )
    }
    assert.strictEqual((await call(base, "GET", "/concerts")).body.length, before)

    const concertId = await concertOpeningAt("2020-01-01T00:00:00Z")
    const user = await newUser(base)
    const joined = await call(base, "POST", `/concerts/${concertId}/queue`, { token: user.accessToken })
    assert.strictEqual(joined.status, 201)
    assert.deepStrictEqual([joined.body.status, joined.body.opensAt], ["active", "2020-01-01T00:00:00.000Z"])
    const report = await call(base, "GET", `/admin/concerts/${concertId}`, { token: adminKey })
    assert.strictEqual(report.body.opensAt, "2020-01-01T00:00:00.000Z")
  })

  it("before the opening: pending everywhere, nobody admitted; at the opening: drawn, then later joins behind", async () => {
    const opensAtMs = Math.ceil((Date.now() + 2_500) / 1000) * 1000
    const opensAt = new Date(opensAtMs).toISOString()
    const concertId = await concertOpeningAt(opensAt, 2)
    const users = await Promise.all([1, 2, 3, 4].map(() => newUser(base)))
    const joins: Array<Awaited<ReturnType<typeof call>>> = []
    for (const user of users)
      joins.push(await call(base, "POST", `/concerts/${concertId}/queue`, { token: user.accessToken }))
    for (const joined of joins) {
      assert.strictEqual(joined.status, 201)
      assert.deepStrictEqual(
        { ...joined.body, queueToken: undefined },
        { queueToken: undefined, status: "pending", position: null, etaSeconds: null, activeUntil: null, opensAt }
      )
    }
    const [first] = users
    const firstToken = { token: first!.accessToken, queueToken: joins[0]!.body.queueToken as string }
    assert.deepStrictEqual((await call(base, "GET", "/queue/status", firstToken)).body, {
      status: "pending",
      position: null,
      etaSeconds: null,
      activeUntil: null,
      opensAt
    })
    assert.isTrue(
      isProblem(await call(base, "GET", `/concerts/${concertId}/dates`, firstToken), 403, "queue-not-admitted")
    )
    const report = await call(base, "GET", `/admin/concerts/${concertId}`, { token: adminKey })
    assert.deepStrictEqual(
      [report.body.opensAt, report.body.queue],
      [opensAt, { pending: 4, waiting: 0, active: 0, admittedLastMinute: 0 }]
    )

    // The typed client reads the pending status too.
    const typed = await Effect.runPromise(
      Effect.gen(function* () {
        const client = yield* makeClient({ baseUrl: base, accessToken: first!.accessToken })
        return yield* client.user.queueStatus({ headers: { "queue-token": firstToken.queueToken } })
      })
    )
    assert.deepStrictEqual([typed.status, typed.position], ["pending", null])
    assert.strictEqual(typed.opensAt === null ? null : typed.opensAt.epochMilliseconds, opensAtMs)

    // SSE: pending first, then the place the draw gave, without polling.
    const stream = eventsOf(await fetch(`${base}/queue/events?token=${encodeURIComponent(firstToken.queueToken)}`))
    try {
      const pending = await stream.next()
      assert.deepStrictEqual([pending["status"], pending["opensAt"]], ["pending", opensAt])
      const drawn = await stream.next()
      assert.include(["active", "waiting"], drawn["status"])
      assert.isAtLeast(Date.now(), opensAtMs)
    } finally {
      await stream.close()
    }
    const late = await newUser(base)
    const lateJoin = await call(base, "POST", `/concerts/${concertId}/queue`, { token: late.accessToken })
    assert.deepStrictEqual([lateJoin.body.status, lateJoin.body.position], ["waiting", 3])
    const statuses = await Promise.all(
      users.map((user, i) =>
        call(base, "GET", "/queue/status", { token: user.accessToken, queueToken: joins[i]!.body.queueToken })
      )
    )
    assert.deepStrictEqual(statuses.map((s) => s.body.status).sort(), ["active", "active", "waiting", "waiting"])
    assert.deepStrictEqual(
      statuses
        .map((s) => s.body.position)
        .filter((p) => p !== null)
        .sort(),
      [1, 2]
    )
  }, 30_000)
})
