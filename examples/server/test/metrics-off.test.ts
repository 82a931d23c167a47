/**
 * `BOXOFFICE_REQUEST_METRICS=false`: no series per request or per store
 * call, while the sales counters and the scrape itself stay. On Postgres +
 * Redis, where store calls would otherwise be timed. This file runs alone
 * in its worker, so the process's metrics are its own.
 */
// @ts-expect-error: the parser ships no types; what it returns is typed as Family below.
import parsePrometheusTextFormat from "parse-prometheus-text-format"
import { ConfigProvider, Effect } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { serverConfig } from "../src/ServerConfig.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { adminKey, admittedUser, call, newConcert, type RunningServer, startServerOn } from "./support/TestServer.ts"

let stores: Stores
let server: RunningServer
beforeAll(async () => {
  stores = await createStores()
  server = await startServerOn(stores, { requestMetrics: false })
}, 60_000)
afterAll(async () => {
  await server?.close()
  await stores?.drop()
})

describe("request metrics off", () => {
  it("reads BOXOFFICE_REQUEST_METRICS, on unless set false", async () => {
    const read = (env: Record<string, string>) =>
      Effect.runPromise(serverConfig.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
    assert.strictEqual((await read({})).requestMetrics, true)
    assert.strictEqual((await read({ BOXOFFICE_REQUEST_METRICS: "false" })).requestMetrics, false)
  })

  it("records no request or store-call series, and still counts the sale", async () => {
    const concert = await newConcert(server.url, { queue: { maxActive: 10 } })
    const buyer = await admittedUser(server.url, concert.concertId)
    await call(server.url, "POST", "/wallet/charges", {
      token: buyer.accessToken,
      body: { amount: 10_000 },
      idempotencyKey: "c-1"
    })
    const hold = await call(server.url, "POST", `/dates/${concert.dates[0]!.dateId}/holds`, {
      token: buyer.accessToken,
      queueToken: buyer.queueToken,
      body: { seatNumbers: [1] }
    })
    const paid = await call(server.url, "POST", `/holds/${hold.body.holdId}/payment`, {
      token: buyer.accessToken,
      queueToken: buyer.queueToken
    })
    assert.strictEqual(paid.status, 201)

    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })
    assert.strictEqual(response.status, 200)
    const families = parsePrometheusTextFormat(await response.text()) as ReadonlyArray<{
      readonly name: string
      readonly metrics: ReadonlyArray<{ readonly value?: string }>
    }>
    const names = families.map((family) => family.name)
    assert.notInclude(names, "boxoffice_http_requests_total")
    assert.notInclude(names, "boxoffice_http_request_duration")
    assert.notInclude(names, "boxoffice_store_call_duration")
    const payments = families.find((family) => family.name === "boxoffice_payments_total")
    assert.strictEqual(Number(payments?.metrics[0]?.value), 1)
  })
})
