/**
 * Who may charge a wallet (`BOXOFFICE_WALLET_CHARGES`). In `admin` mode a
 * user's own `POST /wallet/charges` is `403 forbidden` and changes nothing,
 * and the host credits wallets through
 * `POST /admin/users/{userId}/wallet/charges`: the admin key and an
 * `Idempotency-Key` are required, the amount is bounded as any charge, a
 * retry with the key charges once, and `{userId}` may be the engine's id or
 * the host's `sub` (mapped by `userIdOfSubject`). In `open` mode the admin
 * route works too.
 */
import { userIdOfSubject } from "@boxoffice/core"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { adminKey, call, isProblem, newUser, type RunningServer, startServer } from "./support/TestServer.ts"

const charge = (base: string, userId: string, amount: unknown, options: { key?: string; token?: string } = {}) =>
  call(base, "POST", `/admin/users/${encodeURIComponent(userId)}/wallet/charges`, {
    token: options.token ?? adminKey,
    ...(options.key === undefined ? {} : { idempotencyKey: options.key }),
    body: { amount }
  })

describe("wallet charges in admin mode", () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ walletCharges: "admin" })
  }, 30_000)
  afterAll(() => server?.close())

  it("refuses a user's own charge, and changes nothing", async () => {
    const user = await newUser(server.url)
    const own = await call(server.url, "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 5_000 } })
    assert.isTrue(isProblem(own, 403, "forbidden"), JSON.stringify(own))
    assert.strictEqual((await call(server.url, "GET", "/wallet", { token: user.accessToken })).body.balance, 0)
  })

  it("credits through the admin route, once per key, bounded, with the admin key only", async () => {
    const user = await newUser(server.url)
    const first = await charge(server.url, user.userId, 7_000, { key: "webhook-event-1" })
    assert.strictEqual(first.status, 200, JSON.stringify(first.body))
    assert.strictEqual(first.body.balance, 7_000)
    const again = await charge(server.url, user.userId, 7_000, { key: "webhook-event-1" })
    assert.deepStrictEqual(again.body, first.body)
    assert.isTrue(
      isProblem(await charge(server.url, user.userId, 8_000, { key: "webhook-event-1" }), 422, "idempotency-key-reused")
    )
    assert.isTrue(
      isProblem(await charge(server.url, user.userId, 1_000), 400, "invalid-request"),
      "the key is required"
    )
    assert.isTrue(isProblem(await charge(server.url, user.userId, 0, { key: "k-zero" }), 400, "invalid-request"))
    assert.isTrue(
      isProblem(await charge(server.url, user.userId, 10_000_001, { key: "k-big" }), 400, "invalid-request")
    )
    assert.isTrue(
      isProblem(
        await charge(server.url, user.userId, 1_000, { key: "k-anon", token: "not-the-admin-key" }),
        401,
        "unauthenticated"
      )
    )
    assert.isTrue(
      isProblem(
        await charge(server.url, user.userId, 1_000, { key: "k-user", token: user.accessToken }),
        401,
        "unauthenticated"
      )
    )
    assert.strictEqual((await call(server.url, "GET", "/wallet", { token: user.accessToken })).body.balance, 7_000)
  })

  it("names the user by the host's sub as well as by the engine's id", async () => {
    const sub = "auth0|5f7c8ec7c33c6c004bbafe82"
    const credited = await charge(server.url, sub, 3_000, { key: "sub-1" })
    assert.strictEqual(credited.status, 200)
    const again = await charge(server.url, userIdOfSubject(sub), 2_000, { key: "sub-2" })
    assert.strictEqual(again.body.balance, 5_000, "both name one wallet")
  })
})

describe("wallet charges in open mode", () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ walletCharges: "open" })
  }, 30_000)
  afterAll(() => server?.close())

  it("lets a user charge their own wallet, and the host too", async () => {
    const user = await newUser(server.url)
    const own = await call(server.url, "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 5_000 } })
    assert.strictEqual(own.body.balance, 5_000)
    assert.strictEqual((await charge(server.url, user.userId, 1_000, { key: "host-1" })).body.balance, 6_000)
  })
})
