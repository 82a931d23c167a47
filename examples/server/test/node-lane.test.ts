/**
 * Polls and joins in Node's request event (`NodeLane.ts`):
 * - it answers exactly as the router's routes: each request is sent to its
 *   path, which the lane takes, and to the path with `?via=router`, which it
 *   leaves to Effect's server, and status, headers and body must match;
 * - it takes nothing else, and nothing once stopped;
 * - its answers are counted in the same request metrics series;
 * - on Postgres + Redis, a poll waiting on Redis when SIGTERM comes is
 *   answered before the process exits cleanly, and a poll that finds Redis
 *   gone is answered 503 and logged at ERROR by the access log.
 */
import { Booking, Identity, Queue, QueueTokenSigner } from "@boxoffice/core"
import { MemoryQueue, MemoryStores } from "@boxoffice/memory"
import { startTcpProxy, type TcpProxy } from "@boxoffice/testing"
import { Cause, DateTime, Deferred, Duration, Effect, Exit, Layer, Logger, Redacted, Scope } from "effect"
import { createServer, request } from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { nodeLaneLayer } from "../src/NodeLane.ts"
import { freePort, spawnServer } from "./support/ServerProcess.ts"
import { createStores, redisUrl, type Stores } from "./support/Stores.ts"
import { adminKey, admittedUser, call, newConcert, newUser, type RunningServer, startServer } from "./support/TestServer.ts"

/** Status, headers (all but the date, which moves) and body, as sent. */
const wholeAnswer = async (url: string, headers: Record<string, string>) => {
  const response = await fetch(url, { headers })
  const sent = [...response.headers].filter(([name]) => name !== "date").sort()
  return { status: response.status, headers: sent, body: await response.text() }
}

describe("the lane answers as the router does", () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer()
  }, 30_000)
  afterAll(() => server?.close())

  it("for every kind of poll and refusal", async () => {
    const concert = await newConcert(server.url, { queue: { maxActive: 1 } })
    const active = await admittedUser(server.url, concert.concertId)
    const waiting = await newUser(server.url)
    const joined = await call(server.url, "POST", `/concerts/${concert.concertId}/queue`, { token: waiting.accessToken })
    assert.strictEqual(joined.body.position, 1)
    const left = await newUser(server.url)
    const leftToken = (await call(server.url, "POST", `/concerts/${concert.concertId}/queue`, { token: left.accessToken })).body.queueToken
    assert.strictEqual((await call(server.url, "DELETE", "/queue", { token: left.accessToken, queueToken: leftToken })).status, 204)
    const bearer = (token: string) => `Bearer ${token}`
    const cases: Array<[string, Record<string, string>]> = [
      ["active", { authorization: bearer(active.accessToken), "queue-token": active.queueToken }],
      ["waiting", { authorization: bearer(waiting.accessToken), "queue-token": joined.body.queueToken }],
      ["left the queue", { authorization: bearer(left.accessToken), "queue-token": leftToken }],
      ["lower-case scheme, two spaces", { authorization: `bearer  ${active.accessToken}`, "queue-token": active.queueToken }],
      ["another user's queue token", { authorization: bearer(waiting.accessToken), "queue-token": active.queueToken }],
      ["no credential", { "queue-token": active.queueToken }],
      ["another scheme", { authorization: "Basic abc", "queue-token": active.queueToken }],
      ["an empty bearer", { authorization: "Bearer  " }],
      ["a forged access token", { authorization: bearer(`${active.accessToken}x`), "queue-token": active.queueToken }],
      ["no queue token", { authorization: bearer(active.accessToken) }],
      ["a malformed queue token", { authorization: bearer(active.accessToken), "queue-token": "junk" }],
      ["a forged queue token", { authorization: bearer(active.accessToken), "queue-token": `${active.queueToken}x` }]
    ]
    const statuses: Array<number> = []
    for (const [name, headers] of cases) {
      const byLane = await wholeAnswer(`${server.url}/queue/status`, headers)
      const byRouter = await wholeAnswer(`${server.url}/queue/status?via=router`, headers)
      assert.deepStrictEqual(byLane, byRouter, name)
      statuses.push(byLane.status)
    }
    assert.deepStrictEqual(statuses, [200, 200, 200, 200, 403, 401, 401, 401, 401, 401, 401, 401])
  })

  it("for every kind of join and refusal", async () => {
    const concert = await newConcert(server.url)
    const join = (path: string, headers: Record<string, string>) =>
      fetch(`${server.url}${path}`, { method: "POST", headers }).then(async (response) => ({
        status: response.status,
        headers: [...response.headers].filter(([name]) => name !== "date").sort(),
        body: await response.text()
      }))
    const [first, second] = [await newUser(server.url), await newUser(server.url)]
    const path = `/concerts/${concert.concertId}/queue`
    // New places differ in their tokens and positions, not in their form.
    const byLane = await join(path, { authorization: `Bearer ${first.accessToken}` })
    const byRouter = await join(`${path}?via=router`, { authorization: `Bearer ${second.accessToken}` })
    assert.strictEqual(byLane.status, 201)
    assert.strictEqual(byRouter.status, 201)
    assert.deepStrictEqual(byLane.headers.map(([name]) => name), byRouter.headers.map(([name]) => name))
    assert.deepStrictEqual(Object.keys(JSON.parse(byLane.body)), Object.keys(JSON.parse(byRouter.body)))
    const unknownConcert = crypto.randomUUID()
    const cases: Array<[string, string, Record<string, string>]> = [
      ["joined again", path, { authorization: `Bearer ${first.accessToken}` }],
      ["joined again, the other", path, { authorization: `Bearer ${second.accessToken}` }],
      ["an unknown concert", `/concerts/${unknownConcert}/queue`, { authorization: `Bearer ${first.accessToken}` }],
      ["an upper-case id", `/concerts/${concert.concertId.toUpperCase()}/queue`, { authorization: `Bearer ${first.accessToken}` }],
      ["not a UUID", "/concerts/12345/queue", { authorization: `Bearer ${first.accessToken}` }],
      ["no credential", path, {}],
      ["a forged access token", path, { authorization: `Bearer ${first.accessToken}x` }]
    ]
    const statuses: Array<number> = []
    for (const [name, casePath, headers] of cases) {
      const lane = await join(casePath, headers)
      const router = await join(`${casePath}?via=router`, headers)
      assert.deepStrictEqual(lane, router, name)
      statuses.push(lane.status)
    }
    assert.deepStrictEqual(statuses.slice(0, 2), [200, 200])
    assert.deepStrictEqual(statuses.slice(4), [400, 401, 401])
  })

  it("counts its answers in the router's request metrics series", async () => {
    const concert = await newConcert(server.url)
    const user = await admittedUser(server.url, concert.concertId)
    const count = async (status: string, route = "/queue/status", method = "GET") => {
      const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text()
      const line = text.split("\n").find((l) =>
        l.startsWith("boxoffice_http_requests_total{") && l.includes(`route="${route}"`) && l.includes(`method="${method}"`) &&
        l.includes(`status="${status}"`)
      )
      return line === undefined ? 0 : Number(line.split(" ").at(-1))
    }
    const joinRoute = "/concerts/:concertId/queue"
    const [joinedBefore, rejoinedBefore] = [await count("201", joinRoute, "POST"), await count("200", joinRoute, "POST")]
    const joiner = await newUser(server.url)
    await call(server.url, "POST", `/concerts/${concert.concertId}/queue`, { token: joiner.accessToken })
    await call(server.url, "POST", `/concerts/${concert.concertId}/queue`, { token: joiner.accessToken })
    await call(server.url, "POST", `/concerts/${concert.concertId}/queue?via=router`, { token: joiner.accessToken })
    assert.strictEqual(await count("201", joinRoute, "POST") - joinedBefore, 1)
    assert.strictEqual(await count("200", joinRoute, "POST") - rejoinedBefore, 2)
    const [okBefore, refusedBefore] = [await count("200"), await count("401")]
    for (let i = 0; i < 5; i++) await call(server.url, "GET", "/queue/status", { token: user.accessToken, queueToken: user.queueToken })
    await call(server.url, "GET", "/queue/status?via=router", { token: user.accessToken, queueToken: user.queueToken })
    for (let i = 0; i < 3; i++) await call(server.url, "GET", "/queue/status", { token: user.accessToken })
    assert.strictEqual(await count("200") - okBefore, 6)
    assert.strictEqual(await count("401") - refusedBefore, 3)
  })
})

type StatusCall = Queue["Service"]["status"]

/**
 * The lane on a plain node:http server whose own listener answers 418 (what the lane leaves to the
 * router), over a memory engine whose queue's status calls `wrapStatus` may wrap, and one user who
 * joined a concert of their own.
 */
const laneOnMemory = async (options: {
  readonly wrapStatus?: (status: StatusCall) => StatusCall
  readonly logger?: Layer.Layer<never>
  readonly drainTimeout?: Duration.Duration
} = {}) => {
  const secret = Redacted.make("a status lane test secret, 32 bytes or more")
  const queue = Layer.effect(
    Queue,
    Effect.map(Effect.service(Queue), (queue) => Queue.of({ ...queue, status: options.wrapStatus?.(queue.status) ?? queue.status }))
  ).pipe(Layer.provide(MemoryQueue.layer))
  const engine = Booking.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(MemoryStores.layerWithoutQueue, queue, QueueTokenSigner.layerHmac(secret), Identity.layerHmac(secret))
    )
  )
  const engineScope = Scope.makeUnsafe()
  const context = await Effect.runPromise(Layer.buildWithScope(engine, engineScope))
  const { accessToken, queueToken } = await Effect.runPromise(Effect.gen(function*() {
    const booking = yield* Booking
    const { userId, accessToken } = yield* (yield* Identity).register
    const concert = yield* booking.createConcert({
      title: "the lane",
      dates: [{ startsAt: DateTime.makeUnsafe(Date.now() + 86_400_000), priceKrw: 1_000 }]
    })
    const ticket = yield* booking.joinQueue(userId, concert.concertId)
    return { accessToken: Redacted.value(accessToken), queueToken: ticket.queueToken }
  }).pipe(Effect.provide(context)))
  const server = createServer((_request, response) => response.writeHead(418).end("left to the router"))
  const laneScope = Scope.makeUnsafe()
  await Effect.runPromise(Layer.buildWithScope(
    nodeLaneLayer(server, {
      requestMetrics: false,
      logServerErrors: true,
      drainTimeout: options.drainTimeout ?? Duration.seconds(1)
    }).pipe(Layer.provide(Layer.merge(Layer.succeedContext(context), options.logger ?? Layer.empty))),
    laneScope
  ))
  const url = await new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)))
  return {
    url,
    poll: () => fetch(`${url}/queue/status`, { headers: { authorization: `Bearer ${accessToken}`, "queue-token": queueToken } }),
    /** Stops the lane, as on shutdown. */
    stop: () => Effect.runPromise(Scope.close(laneScope, Exit.void)),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await Effect.runPromise(Scope.close(laneScope, Exit.void))
      await Effect.runPromise(Scope.close(engineScope, Exit.void))
    }
  }
}

describe("the lane takes only bodiless polls and joins", () => {
  let lane: Awaited<ReturnType<typeof laneOnMemory>>
  beforeAll(async () => {
    lane = await laneOnMemory()
  })
  afterAll(() => lane?.close())

  it("and leaves the rest, and everything once it stops", async () => {
    const statusOf = async (path: string, init: RequestInit = {}) => (await fetch(`${lane.url}${path}`, init)).status
    assert.strictEqual(await statusOf("/queue/status"), 401)
    assert.strictEqual(await statusOf("/queue/status?x=1"), 418)
    assert.strictEqual(await statusOf("/queue/status/"), 418)
    assert.strictEqual(await statusOf("/queue/status", { method: "HEAD" }), 418)
    assert.strictEqual(await statusOf("/queue/status", { method: "POST" }), 418)
    const join = `/concerts/${crypto.randomUUID()}/queue`
    assert.strictEqual(await statusOf(join, { method: "POST" }), 401)
    assert.strictEqual(await statusOf(`${join}?x=1`, { method: "POST" }), 418)
    assert.strictEqual(await statusOf(join), 418)
    assert.strictEqual(await statusOf("/concerts/not%20an%20id/queue", { method: "POST" }), 418)
    assert.strictEqual(await statusOf(join, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }), 418)
    // fetch sends no body with a GET; node:http does.
    const withBody = await new Promise<number | undefined>((resolve, reject) =>
      request(`${lane.url}/queue/status`, { method: "GET", headers: { "content-length": "2" } }, (response) => {
        response.resume()
        resolve(response.statusCode)
      }).on("error", reject).end("{}"))
    assert.strictEqual(withBody, 418)
    await lane.stop()
    assert.strictEqual(await statusOf("/queue/status"), 418)
  })
})

describe("the lane on shutdown", () => {
  it("stops taking polls at once, and waits for those in flight", async () => {
    // A gate in front of the queue's status calls.
    const gate = Effect.runSync(Deferred.make<void>())
    const entered = Effect.runSync(Deferred.make<void>())
    const lane = await laneOnMemory({
      wrapStatus: (status) => (...args) =>
        Effect.andThen(Deferred.succeed(entered, undefined), Effect.andThen(Deferred.await(gate), status(...args))),
      drainTimeout: Duration.seconds(10)
    })
    try {
      const inFlight = lane.poll()
      await Effect.runPromise(Deferred.await(entered))
      let stopped = false
      const stopping = lane.stop().then(() => (stopped = true))
      assert.strictEqual((await lane.poll()).status, 418, "a poll after the stop is left to the router")
      assert.isFalse(stopped, "the stop waits for the poll in flight")
      await Effect.runPromise(Deferred.succeed(gate, undefined))
      const answer = await inFlight
      assert.strictEqual(answer.status, 200)
      assert.strictEqual((await answer.json()).status, "active")
      await stopping
      assert.isTrue(stopped)
    } finally {
      await Effect.runPromise(Deferred.succeed(gate, undefined))
      await lane.close()
    }
  }, 20_000)
})

describe("the lane on a defect", () => {
  it("answers 500 internal-error and logs the defect with its cause, as the guards do", async () => {
    const lines: Array<string> = []
    const lane = await laneOnMemory({
      wrapStatus: () => () => Effect.die(new Error("the queue broke")),
      logger: Logger.layer([
        Logger.make(({ cause, logLevel, message }) => lines.push(`${logLevel} ${String(message)} ${Cause.pretty(cause)}`))
      ])
    })
    try {
      const response = await lane.poll()
      assert.strictEqual(response.status, 500)
      assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
      const body = await response.json()
      assert.strictEqual(body.code, "internal-error")
      assert.notInclude(JSON.stringify(body), "the queue broke", "nothing of the cause in the answer")
      assert.isTrue(lines.some((line) => line.startsWith("Error defect in GET /queue/status") && line.includes("the queue broke")), lines.join("\n"))
      assert.isTrue(lines.some((line) => line.startsWith("Error Sent HTTP response")), lines.join("\n"))
    } finally {
      await lane.close()
    }
  })
})

describe("the lane on Postgres + Redis", () => {
  let stores: Stores
  let proxy: TcpProxy
  beforeAll(async () => {
    stores = await createStores()
    proxy = await startTcpProxy(Number(new URL(redisUrl).port || 6379), new URL(redisUrl).hostname)
  }, 30_000)
  afterAll(async () => {
    await proxy?.close()
    await stores?.drop()
  })

  const started = async () => {
    const server = spawnServer(stores, await freePort(), "status-lane-secret-of-at-least-32-bytes", {
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`
    })
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${server.url}/ready`).then((r) => r.ok, () => false)) return server
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`the server did not start: ${server.output()}`)
  }

  it("answers a poll in flight on SIGTERM before exiting cleanly", async () => {
    const server = await started()
    const concert = await newConcert(server.url)
    const user = await admittedUser(server.url, concert.concertId)
    proxy.hold()
    const inFlight = call(server.url, "GET", "/queue/status", { token: user.accessToken, queueToken: user.queueToken })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const exited = new Promise<number | null>((resolve) => server.child.once("exit", resolve))
    server.child.kill("SIGTERM")
    await new Promise((resolve) => setTimeout(resolve, 300))
    proxy.release()
    const answer = await inFlight
    assert.strictEqual(answer.status, 200)
    assert.strictEqual(answer.body.status, "active")
    assert.strictEqual(await exited, 0)
  }, 30_000)

  it("answers 503 when Redis is gone, and the access log says so at ERROR", async () => {
    const server = await started()
    const concert = await newConcert(server.url)
    const user = await admittedUser(server.url, concert.concertId)
    await proxy.cut()
    try {
      const answer = await call(server.url, "GET", "/queue/status", { token: user.accessToken, queueToken: user.queueToken })
      assert.strictEqual(answer.status, 503)
      assert.strictEqual(answer.body.code, "unavailable")
      // The line is written before the answer, but reaches this process through a pipe of its own.
      const lineLogged = () =>
        server.output().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))
          .find((l) => l.message === "Sent HTTP response" && l.annotations?.["http.url"] === "/queue/status")
      for (let i = 0; i < 50 && lineLogged() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      const line = lineLogged()
      assert.isDefined(line, server.output())
      assert.strictEqual(line.level, "ERROR")
      assert.strictEqual(line.annotations["http.status"], 503)
    } finally {
      await proxy.restore()
      const exited = new Promise((resolve) => server.child.once("exit", resolve))
      server.child.kill("SIGTERM")
      await exited
    }
  }, 30_000)
})
