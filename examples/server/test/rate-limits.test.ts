/**
 * A sale under attack from one address, against the default rate limits.
 * The servers trust 127.0.0.1 as a proxy, so each request names its client
 * address in `X-Forwarded-For`: the bot's address and a real user's differ
 * as they would on the internet.
 * - Account creation and joins from the bot's address hit `429 rate-limited`
 *   with `Retry-After` and the IETF `RateLimit` fields, through HttpApi and
 *   through the queue shortcut alike, while a real user from another address
 *   makes an account, joins and is admitted at once.
 * - Holds are limited per user, whatever the address.
 * - Wrong admin keys are limited per address: past the limit even the right
 *   key waits, and another address is not affected.
 * - Two instances sharing Redis count together.
 */
import { RateLimitSettings } from "@boxoffice/http"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, readyServer, type ServerProcess, spawnServer, stopServer } from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { adminKey, newConcert, type RunningServer, startServer } from "./support/TestServer.ts"

const newConcertOn = (base: string) => newConcert(base, { queue: { maxActive: 1_000 } })

const defaults = RateLimitSettings.defaults
const bot = "203.0.113.66"
const person = "198.51.100.7"

interface Sent {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

const send = async (
  url: string,
  method: string,
  from: string,
  options: { readonly token?: string; readonly queueToken?: string; readonly body?: unknown } = {}
): Promise<Sent> => {
  const headers: Record<string, string> = { "x-forwarded-for": from }
  if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`
  if (options.queueToken !== undefined) headers["queue-token"] = options.queueToken
  if (options.body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(url, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  const text = await response.text()
  const json = (response.headers.get("content-type") ?? "").includes("json")
  return { status: response.status, headers: response.headers, body: json && text !== "" ? JSON.parse(text) : text }
}

const assertRateLimited = (answer: Sent, name: string, points: number) => {
  assert.strictEqual(answer.status, 429, JSON.stringify(answer.body))
  assert.strictEqual(answer.headers.get("content-type"), "application/problem+json")
  assert.strictEqual(answer.body.code, "rate-limited")
  const retryAfter = Number(answer.headers.get("retry-after"))
  assert.isTrue(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(retryAfter))
  assert.strictEqual(answer.headers.get("ratelimit-policy"), `"${name}";q=${points};w=60`)
  assert.strictEqual(answer.headers.get("ratelimit"), `"${name}";r=0;t=${retryAfter}`)
}

describe("rate limits on one instance", () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ rateLimits: defaults, trustedProxies: ["127.0.0.1"] })
  }, 30_000)
  afterAll(() => server?.close())

  const accountFrom = async (from: string) =>
    (await send(`${server.url}/users`, "POST", from)).body.accessToken as string

  it("a bot's flood of accounts and joins is refused; a real user is admitted at once meanwhile", async () => {
    const concert = await newConcert(server.url, { queue: { maxActive: 100 } })
    const accounts = await Promise.all(
      Array.from({ length: defaults.accountsPerAddress!.points + 5 }, () => send(`${server.url}/users`, "POST", bot))
    )
    const created = accounts.filter((a) => a.status === 201)
    assert.strictEqual(created.length, defaults.accountsPerAddress!.points)
    const refused = accounts.filter((a) => a.status !== 201)
    assert.strictEqual(refused.length, 5)
    for (const answer of refused) assertRateLimited(answer, "accountsPerAddress", defaults.accountsPerAddress!.points)

    // The bot's joins, with accounts made elsewhere, from its one address: through the shortcut and through HttpApi.
    const tokens = await Promise.all(Array.from({ length: 70 }, (_, i) => accountFrom(`192.0.2.${i + 1}`)))
    const joins = await Promise.all(
      tokens.map((token, i) =>
        send(`${server.url}/concerts/${concert.concertId}/queue${i % 2 === 0 ? "" : "?via=contract"}`, "POST", bot, {
          token
        })
      )
    )
    assert.strictEqual(joins.filter((a) => a.status === 201).length, defaults.joinsPerAddress!.points)
    const refusedJoins = joins.filter((a) => a.status !== 201)
    assert.strictEqual(refusedJoins.length, 70 - defaults.joinsPerAddress!.points)
    for (const answer of refusedJoins) assertRateLimited(answer, "joinsPerAddress", defaults.joinsPerAddress!.points)

    const real = await accountFrom(person)
    const joined = await send(`${server.url}/concerts/${concert.concertId}/queue`, "POST", person, { token: real })
    assert.strictEqual(joined.status, 201)
    assert.strictEqual(joined.body.status, "active")
  })

  it("holds are limited per user, from any address", async () => {
    const concert = await newConcert(server.url, { queue: { maxActive: 10 }, maxSeatsPerUser: 1 })
    const token = await accountFrom(person)
    const ticket = await send(`${server.url}/concerts/${concert.concertId}/queue`, "POST", person, { token })
    const dateId = concert.dates[0]!.dateId
    const holds: Array<Sent> = []
    for (let i = 0; i < defaults.holdsPerUser!.points + 3; i++) {
      // Each from a new address: the limit follows the user.
      holds.push(
        await send(`${server.url}/dates/${dateId}/holds`, "POST", `192.0.2.${100 + i}`, {
          token,
          queueToken: ticket.body.queueToken,
          body: { seatNumbers: [1 + (i % 40)] }
        })
      )
    }
    assert.strictEqual(holds.filter((h) => h.status !== 429).length, defaults.holdsPerUser!.points)
    for (const answer of holds.slice(-3)) assertRateLimited(answer, "holdsPerUser", defaults.holdsPerUser!.points)
  })

  it("wrong admin keys are limited per address: past the limit even the right key waits", async () => {
    const report = (from: string, key: string) => send(`${server.url}/metrics`, "GET", from, { token: key })
    const points = defaults.adminFailuresPerAddress!.points
    for (let i = 0; i < points; i++) assert.strictEqual((await report(bot, `wrong-key-${i}-of-the-admin`)).status, 401)
    assertRateLimited(await report(bot, "wrong-key-again-of-the-admin"), "adminFailuresPerAddress", points)
    assertRateLimited(await report(bot, adminKey), "adminFailuresPerAddress", points)
    assert.strictEqual((await report(person, adminKey)).status, 200)
    // Right keys give their attempt back: an operator's own reads never lock the address.
    for (let i = 0; i < points * 2; i++) assert.strictEqual((await report("192.0.2.250", adminKey)).status, 200)
  })

  it("counts a call by the route it reaches, whatever the path's spelling", async () => {
    const variants = ["/users", "/users/", "/USERS", "//users", "/%75sers"]
    const points = defaults.accountsPerAddress!.points
    const answers: Array<Sent> = []
    for (let i = 0; i < points + variants.length; i++) {
      answers.push(await send(`${server.url}${variants[i % variants.length]}`, "POST", "203.0.113.90"))
    }
    assert.strictEqual(answers.filter((a) => a.status === 201).length, points)
    for (const answer of answers.slice(points)) assertRateLimited(answer, "accountsPerAddress", points)
    // Wrong admin keys on every spelling of every admin route count against one address, and lock them all.
    const adminVariants = [
      "/metrics",
      "/METRICS",
      "/metrics/",
      "/admin/concerts",
      "//admin/concerts",
      "/%61dmin/concerts"
    ]
    const from = "203.0.113.91"
    const adminPoints = defaults.adminFailuresPerAddress!.points
    for (let i = 0; i < adminPoints; i++) {
      const path = adminVariants[i % adminVariants.length]!
      const method = path.includes("concerts") ? "POST" : "GET"
      assert.strictEqual(
        (await send(`${server.url}${path}`, method, from, { token: `wrong-${i}-of-the-admin-key` })).status,
        401
      )
    }
    for (const path of ["/METRICS", "/%61dmin/concerts/0b6f0000-0000-4000-8000-000000000000"]) {
      assertRateLimited(
        await send(`${server.url}${path}`, "GET", from, { token: adminKey }),
        "adminFailuresPerAddress",
        adminPoints
      )
    }
  })
})

describe("rate limits across two instances sharing Redis", () => {
  let stores: Stores
  const servers: Array<ServerProcess> = []
  beforeAll(async () => {
    stores = await createStores()
    for (let i = 0; i < 2; i++) {
      const server = spawnServer(stores, await freePort(), "rate-limit-secret-of-at-least-32-bytes", {
        BOXOFFICE_RATE_LIMITS: "",
        BOXOFFICE_TRUST_PROXY: "127.0.0.1"
      })
      servers.push(await readyServer(server))
    }
  }, 60_000)
  afterAll(async () => {
    await Promise.all(servers.map(stopServer))
    await stores?.drop()
  }, 30_000)

  it("count one address's joins together, while a person joins at once on either", async () => {
    const concert = await newConcertOn(servers[0]!.url)
    const tokens = await Promise.all(
      Array.from({ length: defaults.joinsPerAddress!.points + 6 }, (_, i) =>
        send(`${servers[i % 2]!.url}/users`, "POST", `192.0.2.${i + 1}`).then((a) => a.body.accessToken as string)
      )
    )
    const joins = await Promise.all(
      tokens.map((token, i) =>
        send(`${servers[i % 2]!.url}/concerts/${concert.concertId}/queue`, "POST", bot, { token })
      )
    )
    assert.strictEqual(joins.filter((a) => a.status === 201).length, defaults.joinsPerAddress!.points)
    for (const refused of joins.filter((a) => a.status !== 201)) {
      assertRateLimited(refused, "joinsPerAddress", defaults.joinsPerAddress!.points)
    }
    for (const server of servers) {
      const token = (await send(`${server.url}/users`, "POST", person)).body.accessToken as string
      const joined = await send(`${server.url}/concerts/${concert.concertId}/queue`, "POST", person, { token })
      assert.strictEqual(joined.status, 201)
      assert.strictEqual(joined.body.status, "active")
    }
  })

  it("count one address's accounts together", async () => {
    const points = defaults.accountsPerAddress!.points
    const answers = await Promise.all(
      Array.from({ length: points + 6 }, (_, i) => send(`${servers[i % 2]!.url}/users`, "POST", bot))
    )
    assert.strictEqual(answers.filter((a) => a.status === 201).length, points)
    for (const answer of answers.filter((a) => a.status !== 201))
      assertRateLimited(answer, "accountsPerAddress", points)
    // Another address is untouched on either instance.
    for (const server of servers) assert.strictEqual((await send(`${server.url}/users`, "POST", person)).status, 201)
  })
})
