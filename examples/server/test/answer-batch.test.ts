/**
 * `AnswerBatch`: answers given in one turn of the event loop are written
 * after it, each to its own response, and a response whose client has gone
 * is passed over. A real node:http server and real sockets.
 */
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, assert, describe, it } from "vitest"
import { makeAnswerBatch } from "../src/AnswerBatch.ts"

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

const listen = async (handler: (request: IncomingMessage, response: ServerResponse) => void) => {
  server = createServer(handler)
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** One GET on a connection of its own: status, content type, length and body; or the error. */
const fetchOwn = (url: string) =>
  new Promise<{ status: number; contentType: string; contentLength: string; body: string }>((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => (body += chunk))
      response.on("end", () =>
        resolve({
          status: response.statusCode!,
          contentType: response.headers["content-type"]!,
          contentLength: response.headers["content-length"]!,
          body
        })
      )
    }).on("error", reject)
  })

describe("AnswerBatch", () => {
  it("writes an answer after the turn that gave it, not before", async () => {
    const batch = makeAnswerBatch()
    const seen: Array<string> = []
    const url = await listen((_request, response) => {
      batch.write(response, { status: 201, contentType: "application/json", body: `{"n":"é"}` })
      seen.push(`at once: ${response.headersSent}`)
      process.nextTick(() => seen.push(`next tick: ${response.headersSent}`))
      setImmediate(() => seen.push(`after the turn: ${response.headersSent}`))
    })
    const answer = await fetchOwn(`${url}/one`)
    assert.deepStrictEqual(answer, {
      status: 201,
      contentType: "application/json",
      contentLength: "10",
      body: `{"n":"é"}`
    })
    assert.deepStrictEqual(seen, ["at once: false", "next tick: false", "after the turn: true"])
  })

  it("writes every answer of a turn together, each to its own response, and passes over a client that left", async () => {
    const batch = makeAnswerBatch()
    const clients = 20
    const held: Array<{ request: IncomingMessage; response: ServerResponse }> = []
    const sentInTheTurn: Array<boolean> = []
    let leaving: IncomingMessage | undefined
    let release: () => void = () => {}
    const allHeld = new Promise<void>((resolve) => (release = resolve))
    const url = await listen((request, response) => {
      held.push({ request, response })
      if (held.length === clients + 1) release()
    })
    const answers = Array.from({ length: clients }, (_, i) => fetchOwn(`${url}/client-${i}`))
    const gone = new Promise<string>((resolve) =>
      get(`${url}/leaves`, { agent: false }, () => resolve("answered")).on("error", () => resolve("gone"))
    )
    await allHeld
    leaving = held.find((h) => h.request.url === "/leaves")!.request
    leaving.socket.destroy()
    await new Promise((resolve) => setImmediate(resolve))
    // One turn: every held request is answered through the batch.
    for (const { request, response } of held) {
      batch.write(response, {
        status: 200,
        contentType: "application/json",
        body: JSON.stringify(`answer to ${request.url}`)
      })
      sentInTheTurn.push(response.headersSent)
    }
    assert.isTrue(
      sentInTheTurn.every((sent) => !sent),
      "nothing is written during the turn"
    )
    const bodies = (await Promise.all(answers)).map((a) => `${a.status} ${a.body}`)
    assert.deepStrictEqual(
      bodies,
      Array.from({ length: clients }, (_, i) => `200 "answer to /client-${i}"`)
    )
    assert.strictEqual(await gone, "gone")
    assert.isTrue(held.filter((h) => h.request !== leaving).every((h) => h.response.writableFinished))
  })
})
