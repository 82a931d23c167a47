/**
 * The queue shortcut answers exactly as the contract's own path (HttpApi).
 * One server, shortcut on: a request to exactly `/queue/status` or
 * `/concerts/{id}/queue` is taken by the shortcut at the front door, and the
 * same request with `?via=contract` is left to HttpApi. Status, headers (all
 * but the date) and body must be equal, for each kind of poll and join and
 * each way they can be refused. Both are counted in the same request
 * metrics series, whether or not the full access log is on, and the
 * shortcut's own counter shows it answered exactly the exact paths.
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import {
  adminKey,
  admittedUser,
  call,
  newConcert,
  newUser,
  type RunningServer,
  startServer
} from "./support/TestServer.ts"

interface WholeAnswer {
  readonly status: number
  readonly headers: ReadonlyArray<[string, string]>
  readonly body: string
}

const send = async (url: string, method: string, headers: Record<string, string>): Promise<WholeAnswer> => {
  const response = await fetch(url, { method, headers })
  const sent = [...response.headers].filter(([name]) => name !== "date").sort() as Array<[string, string]>
  return { status: response.status, headers: sent, body: await response.text() }
}

for (const accessLog of ["errors", "all"] as const) {
  describe(`the queue shortcut answers as HttpApi does (access log: ${accessLog})`, () => {
    let server: RunningServer
    beforeAll(async () => {
      server = await startServer({ accessLog })
    }, 30_000)
    afterAll(() => server?.close())

    /** The same request through the shortcut and through HttpApi. */
    const both = async (method: string, path: string, headers: Record<string, string>) => ({
      shortcut: await send(`${server.url}${path}`, method, headers),
      contract: await send(`${server.url}${path}?via=contract`, method, headers)
    })

    it("for every kind of poll and refusal", async () => {
      const concert = await newConcert(server.url, { queue: { maxActive: 1 } })
      const active = await admittedUser(server.url, concert.concertId)
      const waiting = await newUser(server.url)
      const joined = await call(server.url, "POST", `/concerts/${concert.concertId}/queue`, {
        token: waiting.accessToken
      })
      assert.strictEqual(joined.body.position, 1)
      const left = await newUser(server.url)
      const leftToken = (
        await call(server.url, "POST", `/concerts/${concert.concertId}/queue`, { token: left.accessToken })
      ).body.queueToken
      assert.strictEqual(
        (await call(server.url, "DELETE", "/queue", { token: left.accessToken, queueToken: leftToken })).status,
        204
      )
      const bearer = (token: string) => `Bearer ${token}`
      const cases: Array<[string, Record<string, string>]> = [
        ["active", { authorization: bearer(active.accessToken), "queue-token": active.queueToken }],
        ["waiting", { authorization: bearer(waiting.accessToken), "queue-token": joined.body.queueToken }],
        ["left the queue", { authorization: bearer(left.accessToken), "queue-token": leftToken }],
        [
          "lower-case scheme, two spaces",
          { authorization: `bearer  ${active.accessToken}`, "queue-token": active.queueToken }
        ],
        [
          "another user's queue token",
          { authorization: bearer(waiting.accessToken), "queue-token": active.queueToken }
        ],
        ["no credential", { "queue-token": active.queueToken }],
        ["another scheme", { authorization: "Basic abc", "queue-token": active.queueToken }],
        ["an empty bearer", { authorization: "Bearer  " }],
        [
          "a forged access token",
          { authorization: bearer(`${active.accessToken}x`), "queue-token": active.queueToken }
        ],
        ["no queue token", { authorization: bearer(active.accessToken) }],
        ["an empty queue token", { authorization: bearer(active.accessToken), "queue-token": "" }],
        ["a malformed queue token", { authorization: bearer(active.accessToken), "queue-token": "junk" }],
        ["a forged queue token", { authorization: bearer(active.accessToken), "queue-token": `${active.queueToken}x` }]
      ]
      const statuses: Array<number> = []
      for (const [name, headers] of cases) {
        const { shortcut, contract } = await both("GET", "/queue/status", headers)
        assert.deepStrictEqual(shortcut, contract, name)
        statuses.push(shortcut.status)
      }
      assert.deepStrictEqual(statuses, [200, 200, 200, 200, 403, 401, 401, 401, 401, 401, 401, 401, 401])
    })

    it("for every kind of join and refusal", async () => {
      const concert = await newConcert(server.url)
      const path = `/concerts/${concert.concertId}/queue`
      const [first, second] = [await newUser(server.url), await newUser(server.url)]
      // A new place differs in its token and activeUntil, not in its form: each path makes one for a user of its own.
      const placed = {
        shortcut: await send(`${server.url}${path}`, "POST", { authorization: `Bearer ${first.accessToken}` }),
        contract: await send(`${server.url}${path}?via=contract`, "POST", {
          authorization: `Bearer ${second.accessToken}`
        })
      }
      assert.strictEqual(placed.shortcut.status, 201)
      assert.strictEqual(placed.contract.status, 201)
      assert.deepStrictEqual(
        placed.shortcut.headers.map(([name]) => name),
        placed.contract.headers.map(([name]) => name)
      )
      const shape = (answer: WholeAnswer) => ({ ...JSON.parse(answer.body), queueToken: "", activeUntil: "" })
      assert.deepStrictEqual(shape(placed.shortcut), shape(placed.contract))
      const cases: Array<[string, string, Record<string, string>]> = [
        ["joined again", path, { authorization: `Bearer ${first.accessToken}` }],
        ["joined again, the other", path, { authorization: `Bearer ${second.accessToken}` }],
        [
          "an upper-case id",
          `/concerts/${concert.concertId.toUpperCase()}/queue`,
          { authorization: `Bearer ${first.accessToken}` }
        ],
        [
          "an unknown concert",
          `/concerts/${crypto.randomUUID()}/queue`,
          { authorization: `Bearer ${first.accessToken}` }
        ],
        ["not a UUID", "/concerts/12345/queue", { authorization: `Bearer ${first.accessToken}` }],
        ["no credential", path, {}],
        ["a forged access token", path, { authorization: `Bearer ${first.accessToken}x` }]
      ]
      const statuses: Array<number> = []
      for (const [name, casePath, headers] of cases) {
        const { shortcut, contract } = await both("POST", casePath, headers)
        assert.deepStrictEqual(shortcut, contract, name)
        statuses.push(shortcut.status)
      }
      assert.deepStrictEqual(statuses, [200, 200, 200, 404, 400, 401, 401])
    })

    it("counts both paths' answers in the same request metrics series", async () => {
      const concert = await newConcert(server.url)
      const user = await admittedUser(server.url, concert.concertId)
      const count = async (status: string, route = "/queue/status", method = "GET") => {
        const text = await (
          await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })
        ).text()
        const line = text
          .split("\n")
          .find(
            (l) =>
              l.startsWith("boxoffice_http_requests_total{") &&
              l.includes(`route="${route}"`) &&
              l.includes(`method="${method}"`) &&
              l.includes(`status="${status}"`)
          )
        return line === undefined ? 0 : Number(line.split(" ").at(-1))
      }
      /** Answers the shortcut itself gave on a route: proves it took the exact paths and left the others. */
      const shortcutAnswers = async (route: string) => {
        const text = await (
          await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })
        ).text()
        const line = text
          .split("\n")
          .find((l) => l.startsWith("boxoffice_queue_shortcut_answers_total{") && l.includes(`route="${route}"`))
        return line === undefined ? 0 : Number(line.split(" ").at(-1))
      }
      const [statusBefore, joinBefore] = [
        await shortcutAnswers("/queue/status"),
        await shortcutAnswers("/concerts/:concertId/queue")
      ]
      const joinRoute = "/concerts/:concertId/queue"
      const [joinedBefore, rejoinedBefore] = [
        await count("201", joinRoute, "POST"),
        await count("200", joinRoute, "POST")
      ]
      const joiner = await newUser(server.url)
      await call(server.url, "POST", `/concerts/${concert.concertId}/queue`, { token: joiner.accessToken })
      await call(server.url, "POST", `/concerts/${concert.concertId}/queue`, { token: joiner.accessToken })
      await call(server.url, "POST", `/concerts/${concert.concertId}/queue?via=contract`, { token: joiner.accessToken })
      assert.strictEqual((await count("201", joinRoute, "POST")) - joinedBefore, 1)
      assert.strictEqual((await count("200", joinRoute, "POST")) - rejoinedBefore, 2)
      const [okBefore, refusedBefore] = [await count("200"), await count("401")]
      for (let i = 0; i < 5; i++)
        await call(server.url, "GET", "/queue/status", { token: user.accessToken, queueToken: user.queueToken })
      await call(server.url, "GET", "/queue/status?via=contract", {
        token: user.accessToken,
        queueToken: user.queueToken
      })
      for (let i = 0; i < 3; i++) await call(server.url, "GET", "/queue/status", { token: user.accessToken })
      assert.strictEqual((await count("200")) - okBefore, 6)
      assert.strictEqual((await count("401")) - refusedBefore, 3)
      assert.strictEqual(
        (await shortcutAnswers("/queue/status")) - statusBefore,
        8,
        "5 polls, 3 refusals; not the ?via"
      )
      assert.strictEqual((await shortcutAnswers("/concerts/:concertId/queue")) - joinBefore, 2, "2 joins; not the ?via")
    })
  })
}
