/**
 * `GET /metrics`: admin only, valid Prometheus text (parsed by a Prometheus
 * text parser), and counters that match exactly the sales this server made,
 * on Postgres + Redis (a fully in-memory server times no store calls).
 * This file runs alone in its worker, so the process's metrics are its own.
 */
// @ts-expect-error: the parser ships no types; what it returns is typed as Family below.
import parsePrometheusTextFormat from "parse-prometheus-text-format"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createStores, type Stores } from "./support/Stores.ts"
import { adminKey, admittedUser, call, newConcert, type RunningServer, startServerOn } from "./support/TestServer.ts"

let stores: Stores
let server: RunningServer
beforeAll(async () => {
  stores = await createStores()
  server = await startServerOn(stores)
}, 60_000)
afterAll(async () => {
  await server?.close()
  await stores?.drop()
})

interface Family {
  readonly name: string
  readonly type: string
  readonly metrics: ReadonlyArray<{
    readonly value?: string
    readonly labels?: Record<string, string>
    readonly count?: string
  }>
}

const scrape = async (token?: string) => {
  const response = await fetch(
    `${server.url}/metrics`,
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }
  )
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    text: await response.text()
  }
}

const familyOf = (families: ReadonlyArray<Family>, name: string) => {
  const family = families.find((f) => f.name === name)
  assert.isDefined(family, `no metric ${name}`)
  return family!
}

const sum = (family: Family, labels: Record<string, string> = {}) =>
  family.metrics
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((total, m) => total + Number(m.value ?? m.count ?? 0), 0)

/** The `_count` sample of the histogram series with these labels. */
const histogramCount = (text: string, name: string, labels: Record<string, string>) => {
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`${name}_count{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
  assert.isDefined(line, `no ${name}_count with ${JSON.stringify(labels)}`)
  return Number(line!.split(" ").at(-1))
}

describe("GET /metrics", () => {
  it("needs the admin key, parses as Prometheus text, and its counters match the sales made", async () => {
    assert.strictEqual((await scrape()).status, 401)
    assert.strictEqual((await scrape("wrong")).status, 401)

    // Three buyers each charge 30,000 and pay for two seats of 10,000: 6 seats, 60,000 KRW.
    const concert = await newConcert(base(), { queue: { maxActive: 10 } })
    const dateId = concert.dates[0]!.dateId
    for (const [i, seats] of [
      [1, 2],
      [3, 4],
      [5, 6]
    ].entries()) {
      const buyer = await admittedUser(base(), concert.concertId)
      await call(base(), "POST", "/wallet/charges", {
        token: buyer.accessToken,
        body: { amount: 30_000 },
        idempotencyKey: `c-${i}`
      })
      // The same key again replays: it must not count twice.
      await call(base(), "POST", "/wallet/charges", {
        token: buyer.accessToken,
        body: { amount: 30_000 },
        idempotencyKey: `c-${i}`
      })
      const hold = await call(base(), "POST", `/dates/${dateId}/holds`, {
        token: buyer.accessToken,
        queueToken: buyer.queueToken,
        body: { seatNumbers: seats }
      })
      const paid = await call(base(), "POST", `/holds/${hold.body.holdId}/payment`, {
        token: buyer.accessToken,
        queueToken: buyer.queueToken,
        idempotencyKey: `p-${i}`
      })
      assert.strictEqual(paid.status, 201)
      const replayed = await call(base(), "POST", `/holds/${hold.body.holdId}/payment`, {
        token: buyer.accessToken,
        queueToken: buyer.queueToken,
        idempotencyKey: `p-${i}`
      })
      assert.strictEqual(replayed.body.paymentId, paid.body.paymentId)
    }

    const scraped = await scrape(adminKey)
    assert.strictEqual(scraped.status, 200)
    assert.match(scraped.contentType, /^text\/plain/)
    const families = parsePrometheusTextFormat(scraped.text) as ReadonlyArray<Family>
    assert.strictEqual(sum(familyOf(families, "boxoffice_holds_total")), 3)
    assert.strictEqual(sum(familyOf(families, "boxoffice_payments_total")), 3)
    assert.strictEqual(sum(familyOf(families, "boxoffice_seats_sold_total")), 6)
    assert.strictEqual(sum(familyOf(families, "boxoffice_paid_krw_total")), 60_000)
    assert.strictEqual(sum(familyOf(families, "boxoffice_charged_krw_total")), 90_000)
    const requests = familyOf(families, "boxoffice_http_requests_total")
    assert.strictEqual(requests.type, "COUNTER")
    assert.strictEqual(sum(requests, { route: "/holds/:holdId/payment", method: "POST", status: "201" }), 6)
    assert.strictEqual(sum(requests, { route: "/wallet/charges", method: "POST", status: "200" }), 6)
    assert.isTrue(
      requests.metrics.every((m) => !/[0-9a-f]{8}-[0-9a-f]{4}/.test(m.labels?.["route"] ?? "")),
      "routes are templates"
    )
    assert.strictEqual(familyOf(families, "boxoffice_http_request_duration").type, "HISTOGRAM")
    const storeCalls = familyOf(families, "boxoffice_store_call_duration")
    assert.strictEqual(storeCalls.type, "HISTOGRAM")
    // This parser folds a histogram's series together, so their counts are read from the sample lines.
    // The replays were answered from the record (the first payment had ended the token): three calls each.
    // Postgres pays through the variant that also reports the seats left (for sold out).
    assert.strictEqual(
      histogramCount(scraped.text, "boxoffice_store_call_duration", {
        port: "Payments",
        operation: "payReportingSeatsLeft"
      }),
      3
    )
    assert.strictEqual(
      histogramCount(scraped.text, "boxoffice_store_call_duration", {
        port: "IdempotencyRecords",
        operation: "replay"
      }),
      3
    )
    assert.strictEqual(sum(familyOf(families, "boxoffice_queue_active"), { concert: concert.concertId }), 0)
  })
})

const base = () => server.url
