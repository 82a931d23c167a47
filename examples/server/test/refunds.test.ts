/**
 * Refunds over HTTP, on two server processes sharing one Postgres and one
 * Redis: a buyer cancels (`POST /payments/{id}/refund`), the organiser
 * refunds one payment or a whole date (`/admin/...`), each exactly once
 * whichever instance answers, with the codes of the spec; a date's refunds
 * resume on another instance after the first was killed half-way.
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, readyServer, type ServerProcess, spawnServer, stopServer } from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { adminKey, call, isProblem, newUser } from "./support/TestServer.ts"

let stores: Stores
let servers: Array<ServerProcess> = []
const secret = "refunds-test-secret-of-32-bytes-at-least"

beforeAll(async () => {
  stores = await createStores()
  servers = await Promise.all(
    [await freePort(), await freePort()].map((port) => readyServer(spawnServer(stores, port, secret)))
  )
}, 60_000)

afterAll(async () => {
  await Promise.all(servers.map(stopServer))
  await stores?.drop()
}, 30_000)

const on = (i: number) => servers[i % servers.length]!.url

const concertOf = async (body: Record<string, unknown>) => {
  const created = await call(on(0), "POST", "/admin/concerts", {
    token: adminKey,
    body: { title: "Refunds", queue: { maxActive: 1_000 }, maxSeatsPerUser: 4, ...body }
  })
  assert.strictEqual(created.status, 201, JSON.stringify(created.body))
  return { concertId: created.body.concertId as string, dateId: created.body.dates[0].dateId as string }
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()

/** A fresh user with 100,000 KRW who pays for `seats`: their token and the payment's id. */
const buyer = async (concert: { concertId: string; dateId: string }, seats: Array<number>, via = 0) => {
  const user = await newUser(on(via))
  await call(on(via), "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 100_000 } })
  const joined = await call(on(via), "POST", `/concerts/${concert.concertId}/queue`, { token: user.accessToken })
  const queueToken = joined.body.queueToken as string
  const held = await call(on(via), "POST", `/dates/${concert.dateId}/holds`, {
    token: user.accessToken,
    queueToken,
    body: { seatNumbers: seats }
  })
  assert.strictEqual(held.status, 201, JSON.stringify(held.body))
  const paid = await call(on(via + 1), "POST", `/holds/${held.body.holdId}/payment`, {
    token: user.accessToken,
    queueToken
  })
  assert.strictEqual(paid.status, 201, JSON.stringify(paid.body))
  return { ...user, paymentId: paid.body.paymentId as string, amount: paid.body.amount as number }
}

const balanceOf = async (accessToken: string) =>
  (await call(on(0), "GET", "/wallet", { token: accessToken })).body.balance as number

describe("refunds over HTTP", () => {
  it("OpenAPI names the three routes, with 409 for already-refunded and refund-closed", async () => {
    const openapi = (await call(on(0), "GET", "/openapi.json")).body
    for (const path of [
      "/payments/{paymentId}/refund",
      "/admin/payments/{paymentId}/refund",
      "/admin/dates/{dateId}/refunds"
    ]) {
      assert.property(openapi.paths, path)
      assert.property(openapi.paths[path].post.responses, "409", path)
    }
    const conflicts = JSON.stringify(openapi.paths["/payments/{paymentId}/refund"].post.responses["409"])
    assert.include(conflicts, "AlreadyRefundedProblem")
    assert.include(conflicts, "RefundClosedProblem")
    assert.property(openapi.paths["/payments/{paymentId}/refund"].post.responses, "200")
  })

  it("a buyer cancels: 200 with the fee, the payment reads refunded, the seats are for sale again", async () => {
    const concert = await concertOf({
      dates: [{ startsAt: inDays(30), price: 12_345, seatCount: 10 }],
      refundFeePercent: 10
    })
    const user = await buyer(concert, [1, 2])
    const refunded = await call(on(1), "POST", `/payments/${user.paymentId}/refund`, {
      token: user.accessToken,
      idempotencyKey: "cancel-1"
    })
    assert.strictEqual(refunded.status, 200, JSON.stringify(refunded.body))
    // 10% of 24,690 is 2,469 exactly.
    assert.deepInclude(refunded.body, { paymentId: user.paymentId, amount: 22_221, fee: 2_469, balance: 97_531 })
    const replay = await call(on(0), "POST", `/payments/${user.paymentId}/refund`, {
      token: user.accessToken,
      idempotencyKey: "cancel-1"
    })
    assert.deepStrictEqual(replay.body, refunded.body)
    const [payment] = (await call(on(0), "GET", "/payments", { token: user.accessToken })).body
    assert.strictEqual(payment.status, "refunded")
    assert.deepInclude(payment.refund, { refundId: refunded.body.refundId, amount: 22_221, fee: 2_469, by: "user" })
    const report = await call(on(0), "GET", `/admin/concerts/${concert.concertId}`, { token: adminKey })
    assert.deepInclude(report.body.settings, { refundUntilHours: 24, refundFeePercent: 10 })
    assert.deepInclude(report.body.dates[0], { available: 10, sold: 0, revenue: 0 })
    // The freed seats can be bought again.
    const next = await buyer(concert, [1, 2], 1)
    assert.strictEqual(next.amount, 24_690)
  })

  it("answers 409 already-refunded, 403 another user's, 404 unknown, 401 without a token, 400 a malformed id", async () => {
    const concert = await concertOf({ dates: [{ startsAt: inDays(30), price: 1_000, seatCount: 10 }] })
    const user = await buyer(concert, [3])
    const stranger = await newUser(on(0))
    const path = `/payments/${user.paymentId}/refund`
    assert.isTrue(isProblem(await call(on(0), "POST", path, { token: stranger.accessToken }), 403, "forbidden"))
    assert.isTrue(isProblem(await call(on(0), "POST", path, {}), 401, "unauthenticated"))
    assert.isTrue(
      isProblem(
        await call(on(0), "POST", "/payments/00000000-0000-4000-8000-000000000009/refund", {
          token: user.accessToken
        }),
        404,
        "not-found"
      )
    )
    assert.isTrue(
      isProblem(await call(on(0), "POST", "/payments/nope/refund", { token: user.accessToken }), 400, "invalid-request")
    )
    assert.strictEqual((await call(on(1), "POST", path, { token: user.accessToken })).status, 200)
    assert.isTrue(isProblem(await call(on(0), "POST", path, { token: user.accessToken }), 409, "already-refunded"))
    assert.strictEqual(await balanceOf(user.accessToken), 100_000)
  })

  it("past the buyer's cutoff answers 409 refund-closed; the host still refunds in full, with a key only", async () => {
    const concert = await concertOf({
      dates: [{ startsAt: inDays(1), price: 5_000, seatCount: 10 }],
      refundUntilHours: 48,
      refundFeePercent: 20
    })
    const user = await buyer(concert, [4])
    assert.isTrue(
      isProblem(
        await call(on(0), "POST", `/payments/${user.paymentId}/refund`, { token: user.accessToken }),
        409,
        "refund-closed"
      )
    )
    const hostPath = `/admin/payments/${user.paymentId}/refund`
    assert.isTrue(isProblem(await call(on(1), "POST", hostPath, { token: adminKey }), 400, "invalid-request"))
    assert.isTrue(
      isProblem(
        await call(on(1), "POST", hostPath, { token: user.accessToken, idempotencyKey: "h" }),
        401,
        "unauthenticated"
      )
    )
    const refunded = await call(on(1), "POST", hostPath, { token: adminKey, idempotencyKey: "show-cancelled" })
    assert.strictEqual(refunded.status, 200, JSON.stringify(refunded.body))
    assert.deepInclude(refunded.body, { amount: 5_000, fee: 0, balance: 100_000 })
  })

  it("100 concurrent refunds of one payment with different keys on two instances: one 200, the balance rises once", async () => {
    const concert = await concertOf({ dates: [{ startsAt: inDays(30), price: 7_000, seatCount: 10 }] })
    const user = await buyer(concert, [5, 6])
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(
          on(i),
          "POST",
          i % 3 === 0 ? `/admin/payments/${user.paymentId}/refund` : `/payments/${user.paymentId}/refund`,
          {
            token: i % 3 === 0 ? adminKey : user.accessToken,
            idempotencyKey: `race-${i}`
          }
        )
      )
    )
    assert.strictEqual(answers.filter((a) => a.status === 200).length, 1)
    assert.isTrue(answers.every((a) => a.status === 200 || isProblem(a, 409, "already-refunded")))
    assert.strictEqual(await balanceOf(user.accessToken), 100_000)
    const [{ count }] =
      await stores.sql`select count(*)::int as count from refunds where payment_id = ${user.paymentId}`
    assert.strictEqual(count, 1)
  })

  it("a date's refunds resume on another instance after the first is killed half-way: each payment once", async () => {
    const seatCount = 120
    const concert = await concertOf({ dates: [{ startsAt: inDays(30), price: 1_000, seatCount }], maxSeatsPerUser: 1 })
    const buyers = []
    for (let batch = 0; batch < seatCount; batch += 20) {
      buyers.push(
        ...(await Promise.all(Array.from({ length: 20 }, (_, i) => buyer(concert, [batch + i + 1], batch + i))))
      )
    }
    const refundsMade = async () =>
      (
        await stores.sql`select count(*)::int as count from refunds r join payments p using (payment_id)
          where p.date_id = ${concert.dateId}`
      )[0]!.count as number
    const victim = servers[0]!
    const inFlight = call(victim.url, "POST", `/admin/dates/${concert.dateId}/refunds`, { token: adminKey }).catch(
      () => null
    )
    // Kill the instance once its call has begun to refund.
    while ((await refundsMade()) === 0) await new Promise((resolve) => setImmediate(resolve))
    const exited = new Promise((resolve) => victim.child.once("exit", resolve))
    victim.child.kill("SIGKILL")
    await exited
    await inFlight
    const before = await refundsMade()
    console.log(`[refunds] the killed instance had refunded ${before} of ${seatCount}`)
    const resumed = await call(on(1), "POST", `/admin/dates/${concert.dateId}/refunds`, { token: adminKey })
    assert.strictEqual(resumed.status, 200, JSON.stringify(resumed.body))
    assert.deepStrictEqual(resumed.body, { refunded: seatCount - before, remaining: 0 })
    assert.strictEqual(await refundsMade(), seatCount)
    const again = await call(on(1), "POST", `/admin/dates/${concert.dateId}/refunds`, { token: adminKey })
    assert.deepStrictEqual(again.body, { refunded: 0, remaining: 0 })
    assert.lengthOf(buyers, seatCount)
    const [{ wrong }] = await stores.sql`select count(*)::int as wrong from wallets where balance_krw <> 100000
      and user_id in (select user_id from payments where date_id = ${concert.dateId})`
    assert.strictEqual(wrong, 0)
    // The killed instance comes back for the other tests.
    servers[0] = await readyServer(spawnServer(stores, Number(new URL(victim.url).port), secret))
  }, 120_000)
})
