/**
 * Webhooks (docs/webhooks.md) on server processes over one Postgres and one
 * Redis, received by a `node:http` receiver that checks every signature
 * with standardwebhooks' verifier: a sale's events arrive signed, in order,
 * within a second; an instance SIGKILLed with a payment's event pending
 * leaves it to the next instance; a receiver that fails 5 times gets every
 * event in order; two instances deliver 1,000 events with no gap and no
 * duplicate; half a configuration is refused at start.
 */
import { Option, Redacted, Result } from "effect"
import { Webhook, WebhookVerificationError } from "standardwebhooks"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { webhookKeyOf } from "../src/WebhookConfig.ts"
import {
  freePort,
  readyServer,
  runUntilExit,
  type ServerProcess,
  spawnServer,
  stopServer
} from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { adminKey, admittedUser, call, newConcert, newUser, startServer, startServerOn } from "./support/TestServer.ts"
import {
  delivered,
  type EventBody,
  groupOf,
  type Receipt,
  startWebhookReceiver,
  type WebhookReceiver
} from "./support/WebhookReceiver.ts"

const tokenSecret = "webhooks-test-secret-of-32-bytes-at-least"
/** The Standard Webhooks form: `whsec_` and the key's base64. */
const webhookSecret = `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")}`

let stores: Stores
let receiver: WebhookReceiver
const servers: Array<ServerProcess> = []

const startInstance = async () => {
  const server = spawnServer(stores, await freePort(), tokenSecret, {
    BOXOFFICE_WEBHOOK_URL: receiver.url,
    BOXOFFICE_WEBHOOK_SECRET: webhookSecret
  })
  servers.push(server)
  return readyServer(server)
}

beforeAll(async () => {
  ;[stores, receiver] = await Promise.all([createStores(), startWebhookReceiver(webhookSecret)])
}, 60_000)

afterAll(async () => {
  await Promise.all(servers.map(stopServer))
  await receiver?.close()
  await stores?.drop()
}, 30_000)

/** Every event the store holds after `after`, through `GET /admin/events`, page by page. */
const listedEvents = async (base: string, after = 0): Promise<Array<EventBody>> => {
  const listed: Array<EventBody> = []
  for (let cursor = after; ; ) {
    const page = await call(base, "GET", `/admin/events?after=${cursor}&limit=500`, { token: adminKey })
    assert.strictEqual(page.status, 200, JSON.stringify(page.body))
    if (page.body.events.length === 0) return listed
    listed.push(...page.body.events)
    cursor = page.body.next
  }
}

/** Resolves once the payment's event row meets `condition`, read every 20 ms (10 s at most). */
const untilRow = async (paymentId: string, condition: string) => {
  for (let i = 0; i < 500; i++) {
    const rows = await stores.sql.unsafe(
      `select 1 from events where type = 'payment.completed' and payment_id = $1::uuid and ${condition}`,
      [paymentId]
    )
    if (rows.length === 1) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`the payment's event never met: ${condition}`)
}

/**
 * Resolves once `GET /admin/events` reports nothing pending, read every 20 ms (5 s at most): the receiver has
 * its answer before the instance records it.
 */
const untilBacklogEmpty = async (base: string) => {
  for (let i = 0; i < 250; i++) {
    const page = await call(base, "GET", "/admin/events?limit=1", { token: adminKey })
    if (page.body.delivery.pending === 0) return page.body.delivery
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error("the backlog did not empty")
}

/** Asserts that each group's deliveries arrived in sequence order, and answers the sequences by group. */
const assertOrderPerGroup = (receipts: ReadonlyArray<Receipt>) => {
  const byGroup = new Map<string, Array<number>>()
  for (const { body } of receipts)
    byGroup.set(groupOf(body), [...(byGroup.get(groupOf(body)) ?? []), body.data.sequence])
  for (const [group, sequences] of byGroup) {
    assert.deepStrictEqual(
      sequences,
      [...sequences].sort((a, b) => a - b),
      `out of order in ${group}`
    )
  }
  return byGroup
}

describe("webhooks", () => {
  it("delivers a sale's events signed, in order per concert, each within a second; another secret fails", async () => {
    const base = (await startInstance()).url
    const concert = await newConcert(base, {
      dates: [{ startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), price: 10_000, seatCount: 2 }]
    })
    const user = await admittedUser(base, concert.concertId)
    const answeredAtMs: Record<string, number> = {}
    const charged = await call(base, "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 20_000 } })
    answeredAtMs["wallet.charged"] = Date.now()
    const held = await call(base, "POST", `/dates/${concert.dates[0]!.dateId}/holds`, {
      token: user.accessToken,
      queueToken: user.queueToken,
      body: { seatNumbers: [1, 2] }
    })
    answeredAtMs["hold.created"] = Date.now()
    const paid = await call(base, "POST", `/holds/${held.body.holdId}/payment`, {
      token: user.accessToken,
      queueToken: user.queueToken
    })
    // The payment sold the last seat: the sell-out is recorded with it.
    answeredAtMs["payment.completed"] = answeredAtMs["concert.sold-out"] = Date.now()
    assert.deepStrictEqual([charged.status, held.status, paid.status], [200, 201, 201])

    const ours = (receipts: ReadonlyArray<Receipt>) =>
      receipts.filter((r) => r.body.data.userId === user.userId || r.body.data.concertId === concert.concertId)
    await receiver.until("four events of the sale", (receipts) => ours(receipts).length >= 4, 5_000)
    const receipts = ours(receiver.receipts)
    // Each once, signed, answered 204.
    assert.deepStrictEqual(receipts.map((r) => [r.body.type, r.verified, r.status]).sort(), [
      ["concert.sold-out", true, 204],
      ["hold.created", true, 204],
      ["payment.completed", true, 204],
      ["wallet.charged", true, 204]
    ])
    assertOrderPerGroup(receipts)
    assert.deepStrictEqual(
      receipts.filter((r) => r.body.data.concertId === concert.concertId).map((r) => r.body.type),
      ["hold.created", "payment.completed", "concert.sold-out"]
    )
    const latenciesMs = receipts.map((r) => r.receivedAtMs - answeredAtMs[r.body.type]!)
    console.log(`[webhooks] latency from the write's answer to the receiver, ms: ${latenciesMs.join(", ")}`)
    assert.isTrue(
      latenciesMs.every((ms) => ms < 1_000),
      `latencies ${latenciesMs}`
    )

    // The body is the listing's message, exactly; `webhook-id` is the event's id.
    const listed = await listedEvents(base)
    for (const receipt of receipts) {
      assert.deepStrictEqual(
        receipt.body,
        listed.find((e) => e.data.eventId === receipt.body.data.eventId)
      )
      assert.strictEqual(receipt.headers["webhook-id"], receipt.body.data.eventId)
      assert.strictEqual(receipt.headers["content-type"], "application/json")
    }
    const payment = receipts.find((r) => r.body.type === "payment.completed")!.body
    assert.deepInclude(payment.data, {
      paymentId: paid.body.paymentId,
      holdId: held.body.holdId,
      userId: user.userId,
      seatNumbers: [1, 2],
      amount: 20_000,
      fee: 0
    })

    // Another key, and a body changed by one byte, fail the Standard Webhooks check.
    const otherSecret = `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")}`
    const headersOf = (r: Receipt) => r.headers as Record<string, string>
    for (const receipt of receipts) {
      assert.throws(() => new Webhook(otherSecret).verify(receipt.text, headersOf(receipt)), WebhookVerificationError)
      const tampered = receipt.text.replace('"amount":', '"amount":1')
      assert.throws(() => new Webhook(webhookSecret).verify(tampered, headersOf(receipt)), WebhookVerificationError)
      assert.deepStrictEqual(new Webhook(webhookSecret).verify(receipt.text, headersOf(receipt)), receipt.body)
    }
    // The secret is never logged.
    assert.notInclude(servers[0]!.output(), webhookSecret.slice("whsec_".length))
  }, 30_000)

  it("an instance SIGKILLed with a payment's event pending: the next instance delivers it", async () => {
    const first = servers[0]!
    const concert = await newConcert(first.url)
    const user = await admittedUser(first.url, concert.concertId)
    await call(first.url, "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 10_000 } })
    // The receiver refuses the payment's event, so it stays pending (the hold's goes through before it).
    receiver.reply((body) =>
      body.type === "payment.completed" && body.data.concertId === concert.concertId ? 503 : 204
    )
    const held = await call(first.url, "POST", `/dates/${concert.dates[0]!.dateId}/holds`, {
      token: user.accessToken,
      queueToken: user.queueToken,
      body: { seatNumbers: [5] }
    })
    const paid = await call(first.url, "POST", `/holds/${held.body.holdId}/payment`, {
      token: user.accessToken,
      queueToken: user.queueToken
    })
    assert.strictEqual(paid.status, 201)
    const isPayment = (r: Receipt) =>
      r.body.type === "payment.completed" && r.body.data.paymentId === paid.body.paymentId
    await receiver.until("a refused try of the payment's event", (rs) => rs.some(isPayment), 10_000)
    // Killed between tries: once a refusal is recorded (no lease held) with the next try not due for 250 ms, so
    // the kill lands before it. A kill during a try would leave its 30 s lease to run out first.
    await untilRow(
      paid.body.paymentId,
      "lease_until is null and attempts >= 1 and due_at > boxoffice_now() + interval '250 milliseconds'"
    )
    first.child.kill("SIGKILL")
    await new Promise((resolve) => first.child.once("exit", resolve))
    servers.splice(servers.indexOf(first), 1)
    const [pending] = await stores.sql<Array<{ delivered: boolean }>>`
      select delivered_at is not null as delivered from events where type = 'payment.completed'
      and payment_id = ${paid.body.paymentId as string}::uuid`
    assert.deepStrictEqual(pending, { delivered: false })
    assert.isTrue(delivered(receiver.receipts).every((r) => !isPayment(r)))

    // The receiver is back; a new instance delivers what the dead one left, signed.
    receiver.reply(() => 204)
    await startInstance()
    await receiver.until("the payment's event delivered", (rs) => delivered(rs).some(isPayment), 10_000)
    const deliveries = delivered(receiver.receipts).filter(isPayment)
    assert.isAtLeast(deliveries.length, 1)
    assert.isTrue(deliveries.every((r) => r.verified))
    // Its concert's events still arrived in order: the hold's before the payment's.
    assert.deepStrictEqual(
      delivered(receiver.receipts)
        .filter((r) => r.body.data.concertId === concert.concertId)
        .map((r) => r.body.type),
      ["hold.created", "payment.completed"]
    )
  }, 30_000)

  it("two instances deliver 1,000 events with no gap and no duplicate, in order per concert", async () => {
    await startInstance()
    const [one, two] = servers.slice(-2).map((server) => server.url) as [string, string]
    const on = (i: number) => (i % 2 === 0 ? one : two)
    const cursor = Math.max(0, ...(await listedEvents(one)).map((e) => e.data.sequence))
    const receivedBefore = receiver.receipts.length
    // Two concerts; 10 users each hold and release a seat 25 times, half of the calls through each instance.
    const concerts = await Promise.all([newConcert(one), newConcert(two)])
    await Promise.all(
      concerts.flatMap((concert) =>
        Array.from({ length: 10 }, async (_, u) => {
          const user = await admittedUser(on(u), concert.concertId)
          for (let cycle = 0; cycle < 25; cycle++) {
            const held = await call(on(u + cycle), "POST", `/dates/${concert.dates[0]!.dateId}/holds`, {
              token: user.accessToken,
              queueToken: user.queueToken,
              body: { seatNumbers: [u + 1] }
            })
            assert.strictEqual(held.status, 201, JSON.stringify(held.body))
            const released = await call(on(u + cycle + 1), "DELETE", `/holds/${held.body.holdId}`, {
              token: user.accessToken
            })
            assert.strictEqual(released.status, 204, JSON.stringify(released.body))
          }
        })
      )
    )
    const writtenAtMs = Date.now()
    const listed = await listedEvents(one, cursor)
    assert.strictEqual(listed.length, 1_000)
    const ids = new Set(listed.map((e) => e.data.eventId))
    const ours = (receipts: ReadonlyArray<Receipt>) =>
      receipts.slice(receivedBefore).filter((r) => ids.has(r.body.data.eventId))
    await receiver.until("all 1,000 events", (receipts) => delivered(ours(receipts)).length >= 1_000, 30_000)
    console.log(`[webhooks] the last of 1,000 events arrived ${Date.now() - writtenAtMs} ms after the last write`)
    const receipts = ours(receiver.receipts)
    // Exactly once each: every try answered 204, none sent twice, none missing.
    assert.strictEqual(receipts.length, 1_000)
    assert.isTrue(receipts.every((r) => r.verified && r.status === 204))
    assert.deepStrictEqual([...receipts.map((r) => r.body.data.eventId)].sort(), [...ids].sort())
    const byGroup = assertOrderPerGroup(receipts)
    assert.deepStrictEqual(
      concerts.map((c) => byGroup.get(c.concertId)?.length),
      [500, 500]
    )
    assert.deepStrictEqual(await untilBacklogEmpty(two), { pending: 0, parked: 0, oldestPendingSequence: null })
  }, 60_000)
})

describe("a receiver that fails", () => {
  let ownStores: Stores
  let failing: WebhookReceiver
  beforeAll(async () => {
    ;[ownStores, failing] = await Promise.all([createStores(), startWebhookReceiver(webhookSecret)])
  }, 60_000)
  afterAll(async () => {
    await failing?.close()
    await ownStores?.drop()
  })

  it("fails its first 5 deliveries, then recovers: every event arrives, in order per concert", async () => {
    failing.reply((_, receipt) => (receipt < 5 ? 500 : 204))
    // In this process, so the backoff can start at 20 ms instead of 1 s; the schedule is WebhookRetry's.
    const server = await startServerOn(ownStores, {
      secret: Redacted.make(tokenSecret),
      webhook: Option.some({
        url: Redacted.make(failing.url),
        key: Redacted.make(Result.getOrThrow(webhookKeyOf(webhookSecret))),
        tuning: { retryBaseMs: 20 }
      })
    })
    try {
      const concert = await newConcert(server.url)
      const users = await Promise.all([0, 1, 2].map(() => newUser(server.url)))
      for (const [i, user] of users.entries()) {
        await call(server.url, "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 10_000 } })
        const joined = await call(server.url, "POST", `/concerts/${concert.concertId}/queue`, {
          token: user.accessToken
        })
        const held = await call(server.url, "POST", `/dates/${concert.dates[0]!.dateId}/holds`, {
          token: user.accessToken,
          queueToken: joined.body.queueToken,
          body: { seatNumbers: [i + 1] }
        })
        const paid = await call(server.url, "POST", `/holds/${held.body.holdId}/payment`, {
          token: user.accessToken,
          queueToken: joined.body.queueToken
        })
        assert.strictEqual(paid.status, 201, JSON.stringify(paid.body))
      }
      const listed = await listedEvents(server.url)
      // A charge, a hold and a payment for each of the three.
      assert.strictEqual(listed.length, 9)
      await failing.until("every event delivered", (rs) => delivered(rs).length >= listed.length, 15_000)
      assert.strictEqual(failing.receipts.filter((r) => r.status === 500).length, 5)
      const accepted = delivered(failing.receipts)
      assert.deepStrictEqual(accepted.map((r) => r.body.data.eventId).sort(), listed.map((e) => e.data.eventId).sort())
      assert.isTrue(failing.receipts.every((r) => r.verified))
      assertOrderPerGroup(accepted)
      // Nothing of a group was sent while an earlier event of it waited for its retry.
      const byGroup = new Map<string, Array<number>>()
      for (const { body } of failing.receipts) {
        byGroup.set(groupOf(body), [...(byGroup.get(groupOf(body)) ?? []), body.data.sequence])
      }
      for (const [group, tries] of byGroup) {
        assert.deepStrictEqual(
          tries,
          [...tries].sort((a, b) => a - b),
          `a later event overtook a retry in ${group}`
        )
      }
      assert.deepStrictEqual(await untilBacklogEmpty(server.url), {
        pending: 0,
        parked: 0,
        oldestPendingSequence: null
      })
    } finally {
      await server.close()
    }
  }, 30_000)
})

describe("in this process", () => {
  let ownStores: Stores
  let own: WebhookReceiver
  beforeAll(async () => {
    ;[ownStores, own] = await Promise.all([createStores(), startWebhookReceiver(webhookSecret)])
  }, 60_000)
  afterAll(async () => {
    await own?.close()
    await ownStores?.drop()
  })
  const webhook = () =>
    Option.some({ url: Redacted.make(own.url), key: Redacted.make(Result.getOrThrow(webhookKeyOf(webhookSecret))) })

  it("a shutdown hands its claims back: the next instance delivers at once, not after the 30 s lease", async () => {
    own.reply(() => "stall")
    const first = await startServerOn(ownStores, { secret: Redacted.make(tokenSecret), webhook: webhook() })
    const user = await newUser(first.url)
    await call(first.url, "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 1_000 } })
    await own.until("the charge's event, held unanswered", (rs) => rs.length === 1, 5_000)
    await first.close()
    const [released] = await ownStores.sql<Array<{ leased: boolean; attempts: number }>>`
      select lease_until is not null as leased, attempts from events where type = 'wallet.charged'`
    assert.deepStrictEqual(released, { leased: false, attempts: 1 })
    own.reply(() => 204)
    const second = await startServerOn(ownStores, { secret: Redacted.make(tokenSecret), webhook: webhook() })
    try {
      await own.until("the charge's event delivered", (rs) => delivered(rs).length === 1, 5_000)
      assert.deepStrictEqual(
        own.receipts.map((r) => [r.body.data.userId, r.status, r.verified]),
        [
          [user.userId, null, true],
          [user.userId, 204, true]
        ]
      )
    } finally {
      await second.close()
    }
  }, 30_000)

  it("the embedded engine delivers too", async () => {
    const before = own.receipts.length
    const server = await startServer({ secret: Redacted.make(tokenSecret), webhook: webhook() })
    try {
      const user = await newUser(server.url)
      await call(server.url, "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 2_000 } })
      await own.until("the charge's event", (rs) => delivered(rs.slice(before)).length === 1, 5_000)
      const [receipt] = own.receipts.slice(before)
      assert.deepInclude(receipt!.body, { type: "wallet.charged" })
      assert.deepInclude(receipt!.body.data, { userId: user.userId, amount: 2_000, sequence: 1 })
      assert.isTrue(receipt!.verified)
    } finally {
      await server.close()
    }
  })
})

describe("configuration", () => {
  const base = { PATH: process.env["PATH"], BOXOFFICE_ADMIN_KEY: adminKey }
  it("refuses half a webhook configuration, a short secret and a URL that is not http(s), saying why", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ BOXOFFICE_WEBHOOK_URL: "http://127.0.0.1:9/hook" }, "BOXOFFICE_WEBHOOK_URL needs BOXOFFICE_WEBHOOK_SECRET"],
      [{ BOXOFFICE_WEBHOOK_SECRET: webhookSecret }, "BOXOFFICE_WEBHOOK_SECRET needs BOXOFFICE_WEBHOOK_URL"],
      [
        {
          BOXOFFICE_WEBHOOK_URL: "http://127.0.0.1:9/hook",
          BOXOFFICE_WEBHOOK_SECRET: "thirty-one bytes, one too few.."
        },
        "BOXOFFICE_WEBHOOK_SECRET must be at least 32 bytes"
      ],
      [
        { BOXOFFICE_WEBHOOK_URL: "ftp://127.0.0.1/hook", BOXOFFICE_WEBHOOK_SECRET: webhookSecret },
        "BOXOFFICE_WEBHOOK_URL must be an http(s) URL"
      ]
    ]
    const runs = await Promise.all(cases.map(([env]) => runUntilExit({ ...base, ...env })))
    for (const [i, { code, output }] of runs.entries()) {
      assert.notStrictEqual(code, 0)
      // Said in a JSON log line, as every line the server writes.
      const said = output.split("\n").filter((line) => line.startsWith("{") && line.includes(cases[i]![1]))
      assert.lengthOf(said, 1, output)
      assert.doesNotThrow(() => JSON.parse(said[0]!))
      assert.notInclude(output, webhookSecret.slice("whsec_".length))
    }
  }, 30_000)
})
