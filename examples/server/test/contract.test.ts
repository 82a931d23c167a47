/**
 * Proves the HTTP contract of the spec (docs/spec.md) over a real socket, on the embedded
 * engine: every route, every error code a memory store can produce, the
 * whole booking journey, SSE, the OpenAPI document and the typed client.
 * (`idempotency-in-flight` and `unavailable` need a slow or broken store:
 * they are proven on Postgres in postgres.test.ts.)
 */
import { HoldId } from "@boxoffice/core"
import { makeClient } from "@boxoffice/http"
import { packageVersion } from "@boxoffice/http"
import { Validator } from "@seriousme/openapi-schema-validator"
import { DateTime, Effect } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import {
  adminKey,
  admittedUser,
  call,
  eventsOf,
  isProblem,
  newConcert,
  newUser,
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

describe("HTTP contract on the embedded engine", () => {
  it("GET /health, /ready, /openapi.json (valid OpenAPI 3.1) and /docs (no CDN)", async () => {
    assert.deepStrictEqual((await call(base, "GET", "/health")).body, { status: "ok" })
    assert.deepStrictEqual((await call(base, "GET", "/ready")).body, { status: "ready" })
    const openapi = await call(base, "GET", "/openapi.json")
    assert.strictEqual(openapi.status, 200)
    assert.match(openapi.body.openapi, /^3\.1\./)
    assert.strictEqual(openapi.body.info.version, packageVersion, "OpenAPI names the package's version")
    const validation = await new Validator().validate(openapi.body)
    assert.isTrue(validation.valid, JSON.stringify(validation).slice(0, 3_000))
    for (const path of [
      "/users",
      "/admin/concerts",
      "/concerts/{concertId}/queue",
      "/holds/{holdId}/payment",
      "/queue/events"
    ]) {
      assert.property(openapi.body.paths, path)
    }
    const docs = await fetch(`${base}/docs`)
    const html = await docs.text()
    assert.strictEqual(docs.status, 200)
    assert.match(docs.headers.get("content-type") ?? "", /text\/html/)
    assert.notMatch(html, /https?:\/\/(cdn|unpkg|fastly)/)
  })

  it("POST /users and the bearer checks: unauthenticated without, or with a forged, access token", async () => {
    const user = await newUser(base)
    assert.match(user.userId, /^[0-9a-f-]{36}$/)
    assert.isTrue(isProblem(await call(base, "GET", "/wallet"), 401, "unauthenticated"))
    const forged = `${user.accessToken.slice(0, -2)}${user.accessToken.endsWith("AA") ? "BB" : "AA"}`
    assert.isTrue(isProblem(await call(base, "GET", "/wallet", { token: forged }), 401, "unauthenticated"))
    assert.isTrue(isProblem(await call(base, "GET", "/wallet", { token: "garbage" }), 401, "unauthenticated"))
    assert.deepStrictEqual((await call(base, "GET", "/wallet", { token: user.accessToken })).body, {
      balance: 0,
      available: 0
    })
  })

  it("POST /admin/concerts needs the admin key; GET /concerts lists it", async () => {
    const body = { title: "Admin test", dates: [{ startsAt: "2030-01-01T19:00:00Z", price: 5_000, seatCount: 20 }] }
    assert.isTrue(isProblem(await call(base, "POST", "/admin/concerts", { body }), 401, "unauthenticated"))
    assert.isTrue(
      isProblem(await call(base, "POST", "/admin/concerts", { body, token: "wrong" }), 401, "unauthenticated")
    )
    const created = await call(base, "POST", "/admin/concerts", { body, token: adminKey })
    assert.strictEqual(created.status, 201)
    assert.strictEqual(created.body.dates[0].seatCount, 20)
    assert.strictEqual(created.body.dates[0].startsAt, "2030-01-01T19:00:00.000Z")
    const list = await call(base, "GET", "/concerts")
    assert.isTrue(
      list.body.some(
        (c: { concertId: string; title: string }) => c.concertId === created.body.concertId && c.title === "Admin test"
      )
    )
    const bad = await call(base, "POST", "/admin/concerts", { token: adminKey, body: { title: "", dates: [] } })
    assert.isTrue(isProblem(bad, 400, "invalid-request"))
  })

  it("holdNeedsFunds: set at creation, reported to the operator; a hold reserves its amount, 402 when available is short", async () => {
    const concert = await newConcert(base, { holdNeedsFunds: true })
    const report = await call(base, "GET", `/admin/concerts/${concert.concertId}`, { token: adminKey })
    assert.isTrue(report.body.settings.holdNeedsFunds)
    const user = await admittedUser(base, concert.concertId)
    const me = { token: user.accessToken, queueToken: user.queueToken }
    const dateId = concert.dates[0]!.dateId
    const broke = await call(base, "POST", `/dates/${dateId}/holds`, { ...me, body: { seatNumbers: [1] } })
    assert.isTrue(isProblem(broke, 402, "insufficient-balance"))
    assert.deepStrictEqual([broke.body.balance, broke.body.needed], [0, 10_000])
    await call(base, "POST", "/wallet/charges", { ...me, body: { amount: 25_000 } })
    const hold = await call(base, "POST", `/dates/${dateId}/holds`, { ...me, body: { seatNumbers: [1, 2] } })
    assert.strictEqual(hold.status, 201)
    assert.deepStrictEqual((await call(base, "GET", "/wallet", me)).body, { balance: 25_000, available: 5_000 })
    const short = await call(base, "POST", `/dates/${dateId}/holds`, { ...me, body: { seatNumbers: [3] } })
    assert.isTrue(isProblem(short, 402, "insufficient-balance"))
    assert.deepStrictEqual([short.body.balance, short.body.needed], [5_000, 10_000])
    assert.strictEqual((await call(base, "DELETE", `/holds/${hold.body.holdId}`, me)).status, 204)
    assert.deepStrictEqual((await call(base, "GET", "/wallet", me)).body, { balance: 25_000, available: 25_000 })
    const invalid = await call(base, "POST", "/admin/concerts", {
      token: adminKey,
      body: { title: "x", dates: [{ startsAt: "2030-01-01T19:00:00Z", price: 1 }], holdNeedsFunds: "yes" }
    })
    assert.isTrue(isProblem(invalid, 400, "invalid-request"))
  })

  it("seat classes: each rule refused with 400 naming the field; seats, dates, hold, receipt and report by class", async () => {
    const startsAt = new Date(Date.now() + 30 * 86_400_000).toISOString()
    const create = (classes: unknown) =>
      call(base, "POST", "/admin/concerts", {
        token: adminKey,
        body: { title: "Seat classes", dates: [{ startsAt, price: 10_000, seatCount: 30, classes }] }
      })
    const concertsBefore = (await call(base, "GET", "/concerts")).body.length
    const one = (name: string, price: number, from: number, to: number) => ({ name, price, from, to })
    const refusals: ReadonlyArray<readonly [unknown, RegExp]> = [
      // The engine's rules (checkSeatClasses): the detail names the field and the rule.
      [
        [one("VIP", 50_000, 1, 4), one("R", 30_000, 4, 6)],
        /dates\[0\]\.classes\[1\]: seats 4\.\.6 overlap dates\[0\]\.classes\[0\] "VIP"/
      ],
      [[one("VIP", 50_000, 28, 31)], /dates\[0\]\.classes\[0\]\.to: 31 is past the date's last seat, 30/],
      [[one("VIP", 50_000, 3, 2)], /dates\[0\]\.classes\[0\]\.from: 3 is after to, 2/],
      [
        [one("VIP", 1, 1, 1), one("VIP", 2, 2, 2)],
        /dates\[0\]\.classes\[1\]\.name: "VIP" already names dates\[0\]\.classes\[0\]/
      ],
      // What a schema can check, the body's schema does: the detail names the path.
      [[one("", 1, 1, 1)], /"dates"\]\[0\]\["classes"\]\[0\]\["name"\]/],
      [[one("x".repeat(41), 1, 1, 1)], /"dates"\]\[0\]\["classes"\]\[0\]\["name"\]/],
      [[one("A", 500_001, 1, 1)], /"dates"\]\[0\]\["classes"\]\[0\]\["price"\]/],
      [[one("A", 1, 0, 1)], /"dates"\]\[0\]\["classes"\]\[0\]\["from"\]/],
      [[{ name: "A", price: 1, from: 1 }], /"dates"\]\[0\]\["classes"\]\[0\]\["to"\]/],
      [Array.from({ length: 21 }, (_, i) => one(`C${i}`, 1, i + 1, i + 1)), /"dates"\]\[0\]\["classes"\]/]
    ]
    for (const [classes, detail] of refusals) {
      const refused = await create(classes)
      assert.isTrue(isProblem(refused, 400, "invalid-request"), JSON.stringify(refused.body))
      assert.match(refused.body.detail, detail)
    }
    assert.strictEqual((await call(base, "GET", "/concerts")).body.length, concertsBefore)

    const created = await call(base, "POST", "/admin/concerts", {
      token: adminKey,
      body: {
        title: "Seat classes",
        dates: [
          { startsAt, price: 10_000, seatCount: 10, classes: [one("VIP", 50_000, 1, 2), one("R", 30_000, 3, 5)] },
          { startsAt, price: 20_000, seatCount: 4 }
        ]
      }
    })
    assert.strictEqual(created.status, 201)
    const [classed, plain] = created.body.dates as Array<{ dateId: string }>
    const user = await admittedUser(base, created.body.concertId)
    const me = { token: user.accessToken, queueToken: user.queueToken }
    const dates = await call(base, "GET", `/concerts/${created.body.concertId}/dates`, me)
    assert.deepStrictEqual(
      dates.body.map((d: Record<string, unknown>) => [d["availableSeats"], d["minPrice"], d["maxPrice"]]),
      [
        [10, 10_000, 50_000],
        [4, 20_000, 20_000]
      ]
    )
    const seats = (await call(base, "GET", `/dates/${classed!.dateId}/seats`, me)).body
    assert.deepStrictEqual(seats[0], { seatNumber: 1, price: 50_000, status: "available", class: "VIP" })
    assert.deepStrictEqual(seats[4], { seatNumber: 5, price: 30_000, status: "available", class: "R" })
    assert.deepStrictEqual(seats[9], { seatNumber: 10, price: 10_000, status: "available", class: null })

    // A hold across two classes and an unclassed seat costs the sum of their prices.
    const hold = await call(base, "POST", `/dates/${classed!.dateId}/holds`, {
      ...me,
      body: { seatNumbers: [6, 2, 3] }
    })
    assert.strictEqual(hold.status, 201)
    const heldSeats = [
      { seatNumber: 2, price: 50_000, class: "VIP" },
      { seatNumber: 3, price: 30_000, class: "R" },
      { seatNumber: 6, price: 10_000, class: null }
    ]
    assert.deepStrictEqual([hold.body.seatNumbers, hold.body.amount, hold.body.seats], [[2, 3, 6], 90_000, heldSeats])
    assert.deepStrictEqual((await call(base, "GET", `/holds/${hold.body.holdId}`, me)).body.seats, heldSeats)
    await call(base, "POST", "/wallet/charges", { ...me, body: { amount: 100_000 } })
    const paid = await call(base, "POST", `/holds/${hold.body.holdId}/payment`, { ...me, idempotencyKey: "classes" })
    assert.strictEqual(paid.status, 201)
    assert.deepStrictEqual(
      [paid.body.seatNumbers, paid.body.amount, paid.body.seats, paid.body.balance],
      [[2, 3, 6], 90_000, heldSeats, 10_000]
    )
    const replayed = await call(base, "POST", `/holds/${hold.body.holdId}/payment`, {
      ...me,
      idempotencyKey: "classes"
    })
    assert.deepStrictEqual(replayed.body, paid.body)
    assert.deepStrictEqual((await call(base, "GET", "/payments", me)).body[0].seats, heldSeats)

    const report = (await call(base, "GET", `/admin/concerts/${created.body.concertId}`, { token: adminKey })).body
    assert.deepStrictEqual(
      report.dates.map((d: Record<string, unknown>) => [d["available"], d["held"], d["sold"], d["revenue"]]),
      [
        [7, 0, 3, 90_000],
        [4, 0, 0, 0]
      ]
    )
    assert.deepStrictEqual(report.dates[0].classes, [
      { name: "VIP", price: 50_000, available: 1, held: 0, sold: 1, revenue: 50_000 },
      { name: "R", price: 30_000, available: 2, held: 0, sold: 1, revenue: 30_000 }
    ])
    assert.deepStrictEqual(report.dates[1].classes, [])
    assert.strictEqual(plain!.dateId, report.dates[1].dateId)
  })

  it("GET /admin/concerts/{id}: the sale's settings, queue numbers and each date's seats and revenue, admin only", async () => {
    const concert = await newConcert(base, { queue: { maxActive: 1 }, holdSeconds: 120 })
    const path = `/admin/concerts/${concert.concertId}`
    assert.isTrue(isProblem(await call(base, "GET", path), 401, "unauthenticated"))
    assert.isTrue(isProblem(await call(base, "GET", path, { token: "wrong" }), 401, "unauthenticated"))
    const buyer = await admittedUser(base, concert.concertId)
    const waiter = await newUser(base)
    await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: waiter.accessToken })
    const dateId = concert.dates[0]!.dateId
    const hold = await call(base, "POST", `/dates/${dateId}/holds`, {
      token: buyer.accessToken,
      queueToken: buyer.queueToken,
      body: { seatNumbers: [4, 5] }
    })
    assert.strictEqual(hold.status, 201)
    const report = await call(base, "GET", path, { token: adminKey })
    assert.strictEqual(report.status, 200)
    assert.deepStrictEqual(report.body.settings, {
      maxActive: 1,
      activeSeconds: 600,
      admitPerMinute: null,
      paused: false,
      holdSeconds: 120,
      maxSeatsPerUser: 4,
      holdNeedsFunds: false,
      refundUntilHours: 24,
      refundFeePercent: 0
    })
    assert.deepStrictEqual(report.body.queue, { pending: 0, waiting: 1, active: 1, admittedLastMinute: 1 })
    assert.deepStrictEqual(
      report.body.dates.map((d: Record<string, unknown>) => [
        d["dateId"],
        d["available"],
        d["held"],
        d["sold"],
        d["revenue"]
      ]),
      [[dateId, 48, 2, 0, 0]]
    )
    await call(base, "POST", "/wallet/charges", { token: buyer.accessToken, body: { amount: 20_000 } })
    const paid = await call(base, "POST", `/holds/${hold.body.holdId}/payment`, {
      token: buyer.accessToken,
      queueToken: buyer.queueToken
    })
    assert.strictEqual(paid.status, 201)
    const after = await call(base, "GET", path, { token: adminKey })
    assert.deepStrictEqual(after.body.queue, { pending: 0, waiting: 0, active: 1, admittedLastMinute: 2 })
    assert.deepStrictEqual(
      after.body.dates.map((d: Record<string, unknown>) => [d["available"], d["held"], d["sold"], d["revenue"]]),
      [[48, 0, 2, 20_000]]
    )
    assert.isTrue(
      isProblem(
        await call(base, "GET", "/admin/concerts/00000000-0000-4000-8000-000000000001", { token: adminKey }),
        404,
        "not-found"
      )
    )
    assert.isTrue(
      isProblem(await call(base, "GET", "/admin/concerts/not-a-uuid", { token: adminKey }), 400, "invalid-request")
    )
  })

  it("PATCH /admin/concerts/{id}/queue: pause, resume and caps while the sale runs; bad input changes nothing", async () => {
    const concert = await newConcert(base, { queue: { maxActive: 1 } })
    const path = `/admin/concerts/${concert.concertId}/queue`
    const settings = async () =>
      (await call(base, "GET", `/admin/concerts/${concert.concertId}`, { token: adminKey })).body.settings
    const before = await settings()
    assert.isTrue(isProblem(await call(base, "PATCH", path, { body: { paused: true } }), 401, "unauthenticated"))
    assert.isTrue(
      isProblem(await call(base, "PATCH", path, { token: "wrong", body: { paused: true } }), 401, "unauthenticated")
    )
    for (const body of [
      { maxActive: -1 },
      { maxActive: 0 },
      { maxActive: 1.5 },
      { admitPerMinute: 0 },
      { activeSeconds: 5 },
      { paused: "yes" },
      { pause: true },
      { maxActive: 2, extra: 1 },
      []
    ]) {
      const answer = await call(base, "PATCH", path, { token: adminKey, body })
      assert.isTrue(isProblem(answer, 400, "invalid-request"), `${JSON.stringify(body)}: ${JSON.stringify(answer)}`)
    }
    assert.deepStrictEqual(await settings(), before)
    assert.isTrue(
      isProblem(
        await call(base, "PATCH", "/admin/concerts/00000000-0000-4000-8000-000000000001/queue", {
          token: adminKey,
          body: { paused: true }
        }),
        404,
        "not-found"
      )
    )

    const first = await admittedUser(base, concert.concertId)
    const paused = await call(base, "PATCH", path, { token: adminKey, body: { paused: true } })
    assert.strictEqual(paused.status, 200)
    assert.deepStrictEqual(paused.body, { maxActive: 1, activeSeconds: 600, admitPerMinute: null, paused: true })
    await call(base, "DELETE", "/queue", { token: first.accessToken, queueToken: first.queueToken })
    const second = await newUser(base)
    const joined = await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: second.accessToken })
    assert.deepStrictEqual([joined.body.status, joined.body.position], ["waiting", 1])
    const resumed = await call(base, "PATCH", path, { token: adminKey, body: { paused: false, maxActive: 5 } })
    assert.deepStrictEqual(resumed.body, { maxActive: 5, activeSeconds: 600, admitPerMinute: null, paused: false })
    const status = await call(base, "GET", "/queue/status", {
      token: second.accessToken,
      queueToken: joined.body.queueToken
    })
    assert.strictEqual(status.body.status, "active")
    assert.deepStrictEqual((await settings()).maxActive, 5)
  })

  it("the whole journey: join, wait, poll until active, dates, seats, hold two, charge, pay; the next waiter gets in", async () => {
    const concert = await newConcert(base, { queue: { maxActive: 1 } })
    const first = await admittedUser(base, concert.concertId)
    const second = await newUser(base)
    const joined = await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: second.accessToken })
    assert.strictEqual(joined.status, 201)
    assert.strictEqual(joined.body.status, "waiting")
    assert.strictEqual(joined.body.position, 1)
    assert.isAbove(joined.body.etaSeconds, 0)
    const again = await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: second.accessToken })
    assert.strictEqual(again.status, 200)
    assert.strictEqual(again.body.queueToken, joined.body.queueToken)
    const waiting = { token: second.accessToken, queueToken: joined.body.queueToken }
    assert.isTrue(
      isProblem(await call(base, "GET", `/concerts/${concert.concertId}/dates`, waiting), 403, "queue-not-admitted")
    )

    // The first user books two seats and pays.
    const me = { token: first.accessToken, queueToken: first.queueToken }
    const dates = await call(base, "GET", `/concerts/${concert.concertId}/dates`, me)
    assert.deepStrictEqual(
      dates.body.map((d: { availableSeats: number }) => d.availableSeats),
      [50]
    )
    const dateId = dates.body[0].dateId
    const seats = await call(base, "GET", `/dates/${dateId}/seats`, me)
    assert.strictEqual(seats.body.length, 50)
    assert.deepStrictEqual(seats.body[0], { seatNumber: 1, price: 10_000, status: "available", class: null })
    const hold = await call(base, "POST", `/dates/${dateId}/holds`, { ...me, body: { seatNumbers: [11, 12] } })
    assert.strictEqual(hold.status, 201)
    assert.strictEqual(hold.body.amount, 20_000)
    assert.deepStrictEqual(hold.body.seatNumbers, [11, 12])
    assert.strictEqual((await call(base, "GET", `/holds/${hold.body.holdId}`, me)).body.status, "held")
    const short = await call(base, "POST", `/holds/${hold.body.holdId}/payment`, me)
    assert.isTrue(isProblem(short, 402, "insufficient-balance"))
    const charged = await call(base, "POST", "/wallet/charges", { ...me, body: { amount: 50_000 } })
    assert.strictEqual(charged.status, 200)
    assert.strictEqual(charged.body.balance, 50_000)
    const paid = await call(base, "POST", `/holds/${hold.body.holdId}/payment`, { ...me, idempotencyKey: "pay-1" })
    assert.strictEqual(paid.status, 201)
    assert.strictEqual(paid.body.amount, 20_000)
    assert.strictEqual(paid.body.balance, 30_000)
    // Replayed with the same key: the same answer, though the token has ended.
    const replayed = await call(base, "POST", `/holds/${hold.body.holdId}/payment`, { ...me, idempotencyKey: "pay-1" })
    assert.deepStrictEqual(replayed.body, paid.body)
    assert.deepStrictEqual((await call(base, "GET", "/wallet", me)).body, { balance: 30_000, available: 30_000 })
    assert.strictEqual((await call(base, "GET", `/holds/${hold.body.holdId}`, me)).body.status, "paid")
    const payments = await call(base, "GET", "/payments", me)
    assert.strictEqual(payments.body.length, 1)
    assert.strictEqual(payments.body[0].paymentId, paid.body.paymentId)
    assert.strictEqual((await call(base, "GET", "/queue/status", me)).body.status, "expired")
    assert.isTrue(isProblem(await call(base, "GET", `/dates/${dateId}/seats`, me), 403, "queue-token-expired"))

    // The next waiter is in, and sees the seats sold.
    const now = await call(base, "GET", "/queue/status", waiting)
    assert.strictEqual(now.body.status, "active")
    assert.isNull(now.body.position)
    const seen = await call(base, "GET", `/dates/${dateId}/seats`, waiting)
    assert.deepStrictEqual(
      seen.body.filter((s: { status: string }) => s.status === "sold").map((s: { seatNumber: number }) => s.seatNumber),
      [11, 12]
    )
  })

  it("holds: seat-unavailable, hold-limit-exceeded, invalid seats, release, and other users' holds", async () => {
    const concert = await newConcert(base, { maxSeatsPerUser: 2 })
    const dateId = concert.dates[0]!.dateId
    const a = await admittedUser(base, concert.concertId)
    const b = await admittedUser(base, concert.concertId)
    const asA = { token: a.accessToken, queueToken: a.queueToken }
    const asB = { token: b.accessToken, queueToken: b.queueToken }
    const hold = await call(base, "POST", `/dates/${dateId}/holds`, { ...asA, body: { seatNumbers: [1] } })
    const taken = await call(base, "POST", `/dates/${dateId}/holds`, { ...asB, body: { seatNumbers: [1, 2] } })
    assert.isTrue(isProblem(taken, 409, "seat-unavailable"))
    assert.deepStrictEqual(taken.body.seatNumbers, [1])
    assert.isTrue(
      isProblem(
        await call(base, "POST", `/dates/${dateId}/holds`, { ...asA, body: { seatNumbers: [2, 3] } }),
        409,
        "hold-limit-exceeded"
      )
    )
    for (const seatNumbers of [[0], [51], [2, 2], [], [1.5], ["1"]]) {
      assert.isTrue(
        isProblem(
          await call(base, "POST", `/dates/${dateId}/holds`, { ...asB, body: { seatNumbers } }),
          400,
          "invalid-request"
        ),
        JSON.stringify(seatNumbers)
      )
    }
    assert.isTrue(isProblem(await call(base, "GET", `/holds/${hold.body.holdId}`, asB), 403, "forbidden"))
    assert.isTrue(isProblem(await call(base, "DELETE", `/holds/${hold.body.holdId}`, asB), 403, "forbidden"))
    assert.isTrue(isProblem(await call(base, "POST", `/holds/${hold.body.holdId}/payment`, asB), 403, "forbidden"))
    const unknown = crypto.randomUUID()
    assert.isTrue(isProblem(await call(base, "GET", `/holds/${unknown}`, asA), 404, "not-found"))
    assert.isTrue(isProblem(await call(base, "GET", `/dates/${unknown}/seats`, asA), 404, "not-found"))
    assert.isTrue(isProblem(await call(base, "POST", `/concerts/${unknown}/queue`, asA), 404, "not-found"))
    assert.isTrue(isProblem(await call(base, "GET", "/holds/not-a-uuid", asA), 400, "invalid-request"))
    assert.strictEqual((await call(base, "DELETE", `/holds/${hold.body.holdId}`, asA)).status, 204)
    assert.strictEqual((await call(base, "GET", `/holds/${hold.body.holdId}`, asA)).body.status, "released")
    assert.isTrue(isProblem(await call(base, "POST", `/holds/${hold.body.holdId}/payment`, asA), 410, "hold-expired"))
    assert.strictEqual(
      (await call(base, "POST", `/dates/${dateId}/holds`, { ...asB, body: { seatNumbers: [1, 2] } })).status,
      201
    )
  })

  it("payment twice: already-paid, also for release", async () => {
    const concert = await newConcert(base)
    const dateId = concert.dates[0]!.dateId
    const user = await admittedUser(base, concert.concertId)
    const me = { token: user.accessToken, queueToken: user.queueToken }
    await call(base, "POST", "/wallet/charges", { ...me, body: { amount: 100_000 } })
    const hold = await call(base, "POST", `/dates/${dateId}/holds`, { ...me, body: { seatNumbers: [5] } })
    assert.strictEqual((await call(base, "POST", `/holds/${hold.body.holdId}/payment`, me)).status, 201)
    const rejoined = await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: user.accessToken })
    const fresh = { token: user.accessToken, queueToken: rejoined.body.queueToken }
    assert.isTrue(isProblem(await call(base, "POST", `/holds/${hold.body.holdId}/payment`, fresh), 409, "already-paid"))
    assert.isTrue(isProblem(await call(base, "DELETE", `/holds/${hold.body.holdId}`, fresh), 409, "already-paid"))
    assert.deepStrictEqual((await call(base, "GET", "/wallet", me)).body, { balance: 90_000, available: 90_000 })
  })

  it("queue tokens: missing, forged, another user's, another concert's, left", async () => {
    const concert = await newConcert(base)
    const other = await newConcert(base)
    const a = await admittedUser(base, concert.concertId)
    const b = await newUser(base)
    const dates = `/concerts/${concert.concertId}/dates`
    assert.isTrue(isProblem(await call(base, "GET", dates, { token: a.accessToken }), 401, "queue-token-invalid"))
    assert.isTrue(
      isProblem(
        await call(base, "GET", dates, { token: a.accessToken, queueToken: `${a.queueToken}x` }),
        401,
        "queue-token-invalid"
      )
    )
    assert.isTrue(
      isProblem(await call(base, "GET", dates, { token: b.accessToken, queueToken: a.queueToken }), 403, "forbidden")
    )
    assert.isTrue(
      isProblem(
        await call(base, "GET", `/concerts/${other.concertId}/dates`, {
          token: a.accessToken,
          queueToken: a.queueToken
        }),
        403,
        "forbidden"
      )
    )
    assert.strictEqual(
      (await call(base, "DELETE", "/queue", { token: a.accessToken, queueToken: a.queueToken })).status,
      204
    )
    assert.isTrue(
      isProblem(
        await call(base, "GET", dates, { token: a.accessToken, queueToken: a.queueToken }),
        403,
        "queue-token-expired"
      )
    )
  })

  it("wallet: idempotent charges, a reused key with another body, bad amounts, the balance cap", async () => {
    const user = await newUser(base)
    const me = { token: user.accessToken }
    const first = await call(base, "POST", "/wallet/charges", { ...me, idempotencyKey: "c-1", body: { amount: 7_000 } })
    const again = await call(base, "POST", "/wallet/charges", { ...me, idempotencyKey: "c-1", body: { amount: 7_000 } })
    assert.deepStrictEqual(again.body, first.body)
    assert.isTrue(
      isProblem(
        await call(base, "POST", "/wallet/charges", { ...me, idempotencyKey: "c-1", body: { amount: 8_000 } }),
        422,
        "idempotency-key-reused"
      )
    )
    for (const amount of [0, -1, 1.5, 10_000_001, "100", null, 1e300]) {
      assert.isTrue(
        isProblem(await call(base, "POST", "/wallet/charges", { ...me, body: { amount } }), 400, "invalid-request"),
        String(amount)
      )
    }
    assert.isTrue(
      isProblem(await call(base, "POST", "/wallet/charges", { ...me, rawBody: '{"amount": ' }), 400, "invalid-request")
    )
    // 7,000 so far; 99 charges of 10,000,000 and one of 9,993,000 fill the wallet to the cap exactly.
    for (let i = 0; i < 99; i++) await call(base, "POST", "/wallet/charges", { ...me, body: { amount: 10_000_000 } })
    assert.strictEqual(
      (await call(base, "POST", "/wallet/charges", { ...me, body: { amount: 9_993_000 } })).status,
      200
    )
    assert.isTrue(
      isProblem(
        await call(base, "POST", "/wallet/charges", { ...me, body: { amount: 1 } }),
        409,
        "balance-limit-exceeded"
      )
    )
    assert.deepStrictEqual((await call(base, "GET", "/wallet", me)).body, {
      balance: 1_000_000_000,
      available: 1_000_000_000
    })
  })

  it("SSE: a waiting client receives its position and its admission without polling", async () => {
    const concert = await newConcert(base, { queue: { maxActive: 1 } })
    const first = await admittedUser(base, concert.concertId)
    const waiter = await newUser(base)
    const joined = await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: waiter.accessToken })
    assert.isTrue(isProblem(await call(base, "GET", "/queue/events?token=forged"), 401, "queue-token-invalid"))
    const response = await fetch(`${base}/queue/events?token=${encodeURIComponent(joined.body.queueToken)}`)
    assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/)
    const stream = eventsOf(response)
    try {
      const waiting = await stream.next()
      assert.strictEqual(waiting["status"], "waiting")
      assert.strictEqual(waiting["position"], 1)
      await call(base, "DELETE", "/queue", { token: first.accessToken, queueToken: first.queueToken })
      const admitted = await stream.next()
      assert.strictEqual(admitted["status"], "active")
    } finally {
      await stream.close()
    }
  }, 30_000)

  it("the typed client runs the whole journey", async () => {
    const program = Effect.gen(function* () {
      const admin = yield* makeClient({ baseUrl: base, adminKey })
      const concert = yield* admin.admin.createConcert({
        payload: {
          title: "Typed client",
          dates: [{ startsAt: DateTime.makeUnsafe(Date.now() + 86_400_000), price: 3_000 }]
        }
      })
      const anonymous = yield* makeClient({ baseUrl: base })
      const { accessToken } = yield* anonymous.createUser()
      const client = yield* makeClient({ baseUrl: base, accessToken })
      const ticket = yield* client.user.joinQueue({ params: { concertId: concert.concertId }, headers: {} })
      const headers = { "queue-token": ticket.queueToken }
      const [date] = yield* client.user.listDates({ params: { concertId: concert.concertId }, headers })
      const hold = yield* client.user.hold({
        params: { dateId: date!.dateId },
        headers,
        payload: { seatNumbers: [1, 2] }
      })
      yield* client.user.charge({ headers: {}, payload: { amount: 10_000 } })
      const receipt = yield* client.user.pay({ params: { holdId: hold.holdId }, headers })
      const wallet = yield* client.user.wallet()
      const failure = yield* Effect.flip(client.user.getHold({ params: { holdId: HoldId.make(crypto.randomUUID()) } }))
      return { receipt, wallet, failure }
    })
    const { receipt, wallet, failure } = await Effect.runPromise(program)
    assert.strictEqual(receipt.amount, 6_000)
    assert.strictEqual(wallet.balance, 4_000)
    assert.strictEqual((failure as { _tag: string })._tag, "NotFoundProblem")
  })
})
