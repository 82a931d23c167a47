/**
 * Proves the bounds of what a stranger can send over HTTP: bodies, media
 * types, methods, headers and SSE streams each get a problem+json with a
 * stable code, and change nothing.
 */
import { connect } from "node:net"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import {
  admittedUser,
  call,
  isProblem,
  newConcert,
  newUser,
  type RunningServer,
  startServer
} from "./support/TestServer.ts"

let server: RunningServer
let base: string
let port: number
beforeAll(async () => {
  server = await startServer()
  base = server.url
  port = Number(new URL(base).port)
})
afterAll(async () => {
  await server?.close()
})

/** Writes `request` on a raw socket and returns what came back before the server closed or `waitMs` passed. */
const rawExchange = (request: string, waitMs = 2_000) =>
  new Promise<{ readonly text: string; readonly closed: boolean }>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1")
    let text = ""
    let closed = false
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ text, closed })
    }, waitMs)
    socket.on("data", (chunk) => (text += chunk.toString("latin1")))
    socket.on("close", () => {
      closed = true
      clearTimeout(timer)
      resolve({ text, closed })
    })
    socket.on("error", (error) => {
      if (text !== "") return
      clearTimeout(timer)
      reject(error)
    })
    socket.write(request)
  })

const problemIn = (text: string) =>
  JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as { code: string; status: number }

describe("HTTP bounds", () => {
  it("a body over 64 KiB is 413 payload-too-large before it is read, and nothing is charged", async () => {
    const user = await newUser(base)
    const big = JSON.stringify({ amount: 1_000, padding: "x".repeat(70_000) })
    const answer = await call(base, "POST", "/wallet/charges", { token: user.accessToken, rawBody: big })
    assert.isTrue(isProblem(answer, 413, "payload-too-large"), JSON.stringify(answer))
    // A declared 200 MB body gets its answer after its first bytes: the rest is never awaited.
    const started = performance.now()
    const { text, closed } = await rawExchange(
      `POST /wallet/charges HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${user.accessToken}\r\n` +
        `content-type: application/json\r\ncontent-length: 200000000\r\n\r\n{"amount":`
    )
    assert.match(text, /^HTTP\/1\.1 413 /)
    assert.strictEqual(problemIn(text).code, "payload-too-large")
    assert.isTrue(closed, "the connection was left open for the rest of the body")
    assert.isBelow(performance.now() - started, 1_500)
    assert.deepStrictEqual((await call(base, "GET", "/wallet", { token: user.accessToken })).body, {
      balance: 0,
      available: 0
    })
  })

  it("a streamed (chunked) body over 64 KiB is refused too, and nothing is charged", async () => {
    const user = await newUser(base)
    const chunk = `{"amount":1000,"padding":"${"y".repeat(70_000)}"}`
    const { text } = await rawExchange(
      `POST /wallet/charges HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${user.accessToken}\r\n` +
        `content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n` +
        `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`
    )
    assert.match(text, /^HTTP\/1\.1 413 /)
    assert.strictEqual(problemIn(text).code, "payload-too-large")
    assert.deepStrictEqual((await call(base, "GET", "/wallet", { token: user.accessToken })).body, {
      balance: 0,
      available: 0
    })
  })

  it("a body that is not JSON is 415 unsupported-media-type", async () => {
    const user = await newUser(base)
    const response = await fetch(`${base}/wallet/charges`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "text/plain" },
      body: JSON.stringify({ amount: 1_000 })
    })
    const answer = {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      body: await response.json()
    }
    assert.isTrue(isProblem(answer, 415, "unsupported-media-type"), JSON.stringify(answer))
    assert.deepStrictEqual((await call(base, "GET", "/wallet", { token: user.accessToken })).body, {
      balance: 0,
      available: 0
    })
  })

  it("a known path with another method is 405 method-not-allowed with Allow; an unknown path is 404", async () => {
    const response = await fetch(`${base}/health`, { method: "PUT" })
    const answer = {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      body: await response.json()
    }
    assert.isTrue(isProblem(answer, 405, "method-not-allowed"), JSON.stringify(answer))
    assert.strictEqual(response.headers.get("allow"), "GET")
    const holds = await fetch(`${base}/holds/4f1c2b9e-8a7d-4c3b-9e2f-1a2b3c4d5e6f`, { method: "PATCH" })
    assert.strictEqual(holds.status, 405)
    assert.strictEqual(holds.headers.get("allow"), "GET, DELETE")
    assert.isTrue(isProblem(await call(base, "GET", "/nowhere"), 404, "not-found"))
    // A path that is not valid percent-encoding matches no route: a problem, not an empty answer.
    assert.isTrue(isProblem(await call(base, "GET", "/concerts/%ZZ"), 400, "invalid-request"))
  })

  it("headers too large are 431 request-header-fields-too-large as problem+json", async () => {
    const { text } = await rawExchange(`GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`)
    assert.match(text, /^HTTP\/1\.1 431 /)
    assert.match(text, /content-type: application\/problem\+json/)
    assert.strictEqual(problemIn(text).code, "request-header-fields-too-large")
  })

  it("an id in upper case names the same concert: one queue, the same entry", async () => {
    const concert = await newConcert(base)
    const user = await newUser(base)
    const lower = await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: user.accessToken })
    const upper = await call(base, "POST", `/concerts/${concert.concertId.toUpperCase()}/queue`, {
      token: user.accessToken
    })
    assert.strictEqual(lower.status, 201)
    assert.strictEqual(upper.status, 200)
    assert.strictEqual(upper.body.queueToken, lower.body.queueToken)
  })

  it("a queue token holds at most 3 SSE streams; a fourth is 429 too-many-streams until one closes", async () => {
    const concert = await newConcert(base)
    const user = await admittedUser(base, concert.concertId)
    const url = `${base}/queue/events?token=${encodeURIComponent(user.queueToken)}`
    const streams = await Promise.all(
      [0, 1, 2].map(async () => {
        const controller = new AbortController()
        const response = await fetch(url, { signal: controller.signal })
        assert.strictEqual(response.status, 200)
        const reader = response.body!.getReader()
        const first = new TextDecoder().decode((await reader.read()).value)
        assert.match(first, /"status":"active"/)
        return { controller, reader }
      })
    )
    const fourth = await fetch(url)
    const answer = {
      status: fourth.status,
      contentType: fourth.headers.get("content-type") ?? "",
      body: await fourth.json()
    }
    assert.isTrue(isProblem(answer, 429, "too-many-streams"), JSON.stringify(answer))
    streams[0]!.controller.abort()
    let reopened = 0
    for (let i = 0; i < 50 && reopened !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      const again = await fetch(url, { signal: AbortSignal.timeout(500) }).catch(() => null)
      reopened = again?.status ?? 0
      if (again !== null && again.status === 200) await again.body?.cancel()
    }
    assert.strictEqual(reopened, 200)
    for (const stream of streams.slice(1)) stream.controller.abort()
  })
})
