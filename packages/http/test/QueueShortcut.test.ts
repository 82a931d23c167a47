/**
 * `QueueShortcut` answers exactly as HttpApi does. Two servers run in this
 * process over one engine: one serves joining and polling through HttpApi
 * (`queueShortcut: false`, the contract's own path), the other through the
 * shortcut. Every request below is sent to both, and status, headers (all
 * but the date) and body must be equal: each kind of poll and join, and each
 * way they can be refused. Nothing is recorded from an earlier build.
 */
import { Booking, Identity, QueueTokenSigner } from "@boxoffice/core"
import { MemoryStores } from "@boxoffice/memory"
import { NodeHttpServer } from "@effect/platform-node"
import { DateTime, Effect, Layer, ManagedRuntime, Option, Redacted } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { createServer } from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { BoxofficeHttp } from "../src/Server.ts"

interface WholeAnswer {
  readonly status: number
  readonly headers: ReadonlyArray<[string, string]>
  readonly body: string
}

const secret = Redacted.make("a queue shortcut test secret of 32 bytes or more")
const engine = Booking.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(MemoryStores.layer, QueueTokenSigner.layerHmac(secret), Identity.layerHmac(secret)))
)

/** A server on a free port over the shared engine's services. */
const serve = (queueShortcut: boolean) =>
  HttpRouter.serve(BoxofficeHttp.layer({ adminKey: Option.none(), queueShortcut }), { disableLogger: true, disableListenLog: true })
    .pipe(Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })))

const urlOf = HttpServer.HttpServer.useSync((server) =>
  server.address._tag === "UnixPathAddress" ? "" : `http://127.0.0.1:${server.address.port}`)

let runtime: ManagedRuntime.ManagedRuntime<Booking | Identity | QueueTokenSigner, never>
let viaContract: string
let viaShortcut: string

beforeAll(async () => {
  runtime = ManagedRuntime.make(engine)
  const context = await runtime.runPromise(Effect.context<Booking | Identity | QueueTokenSigner>())
  const start = async (queueShortcut: boolean) => {
    const server = ManagedRuntime.make(serve(queueShortcut).pipe(Layer.provide(Layer.succeedContext(context))))
    const url = await server.runPromise(urlOf)
    return { url, dispose: () => server.dispose() }
  }
  const [contract, shortcut] = await Promise.all([start(false), start(true)])
  viaContract = contract.url
  viaShortcut = shortcut.url
  servers.push(contract, shortcut)
})
const servers: Array<{ readonly dispose: () => Promise<void> }> = []
afterAll(async () => {
  for (const server of servers) await server.dispose()
  await runtime?.dispose()
})

const send = async (base: string, method: string, path: string, headers: Record<string, string>): Promise<WholeAnswer> => {
  const response = await fetch(`${base}${path}`, { method, headers })
  const sent = [...response.headers].filter(([name]) => name !== "date").sort() as Array<[string, string]>
  return { status: response.status, headers: sent, body: await response.text() }
}

/** The same request through both paths. */
const both = async (method: string, path: string, headers: Record<string, string>) => ({
  contract: await send(viaContract, method, path, headers),
  shortcut: await send(viaShortcut, method, path, headers)
})

const newUser = () =>
  runtime.runPromise(Effect.map(Identity.use((identity) => identity.register), ({ userId, accessToken }) => ({
    userId,
    bearer: `Bearer ${Redacted.value(accessToken)}`
  })))

const newConcert = (maxActive: number) =>
  runtime.runPromise(Booking.use((booking) =>
    booking.createConcert({
      title: "shortcut",
      queue: { maxActive },
      dates: [{ startsAt: DateTime.makeUnsafe(Date.now() + 86_400_000), priceKrw: 1_000 }]
    })
  ))

describe("the queue shortcut answers as the contract's path", () => {
  it("for every kind of poll and refusal", async () => {
    const concert = await newConcert(1)
    const join = (bearer: string) =>
      send(viaContract, "POST", `/concerts/${concert.concertId}/queue`, { authorization: bearer }).then((a) => JSON.parse(a.body))
    const active = await newUser()
    const activeToken = (await join(active.bearer)).queueToken as string
    const waiting = await newUser()
    const waitingTicket = await join(waiting.bearer)
    assert.strictEqual(waitingTicket.position, 1)
    const left = await newUser()
    const leftToken = (await join(left.bearer)).queueToken as string
    await send(viaContract, "DELETE", "/queue", { authorization: left.bearer, "queue-token": leftToken })
    const cases: Array<[string, Record<string, string>]> = [
      ["active", { authorization: active.bearer, "queue-token": activeToken }],
      ["waiting", { authorization: waiting.bearer, "queue-token": waitingTicket.queueToken }],
      ["left the queue", { authorization: left.bearer, "queue-token": leftToken }],
      ["lower-case scheme, two spaces", { authorization: active.bearer.replace("Bearer ", "bearer  "), "queue-token": activeToken }],
      ["another user's queue token", { authorization: waiting.bearer, "queue-token": activeToken }],
      ["no credential", { "queue-token": activeToken }],
      ["another scheme", { authorization: "Basic abc", "queue-token": activeToken }],
      ["an empty bearer", { authorization: "Bearer  " }],
      ["a forged access token", { authorization: `${active.bearer}x`, "queue-token": activeToken }],
      ["no queue token", { authorization: active.bearer }],
      ["an empty queue token", { authorization: active.bearer, "queue-token": "" }],
      ["a malformed queue token", { authorization: active.bearer, "queue-token": "junk" }],
      ["a forged queue token", { authorization: active.bearer, "queue-token": `${activeToken}x` }]
    ]
    const statuses: Array<number> = []
    for (const [name, headers] of cases) {
      const { contract, shortcut } = await both("GET", "/queue/status", headers)
      assert.deepStrictEqual(shortcut, contract, name)
      statuses.push(contract.status)
    }
    assert.deepStrictEqual(statuses, [200, 200, 200, 200, 403, 401, 401, 401, 401, 401, 401, 401, 401])
  })

  it("for every kind of join and refusal", async () => {
    const concert = await newConcert(100)
    const path = `/concerts/${concert.concertId}/queue`
    const [first, second] = [await newUser(), await newUser()]
    // A new place differs in its token, not in its form: each path makes one for a user of its own.
    const placed = {
      contract: await send(viaContract, "POST", path, { authorization: first.bearer }),
      shortcut: await send(viaShortcut, "POST", path, { authorization: second.bearer })
    }
    assert.strictEqual(placed.contract.status, 201)
    assert.strictEqual(placed.shortcut.status, 201)
    assert.deepStrictEqual(placed.shortcut.headers.map(([name]) => name), placed.contract.headers.map(([name]) => name))
    const shape = (answer: WholeAnswer) => ({ ...JSON.parse(answer.body), queueToken: "", activeUntil: "" })
    assert.deepStrictEqual(shape(placed.shortcut), shape(placed.contract))
    const cases: Array<[string, string, Record<string, string>]> = [
      ["joined again", path, { authorization: first.bearer }],
      ["joined again, the other", path, { authorization: second.bearer }],
      ["an upper-case id", path.toUpperCase().replace("/CONCERTS/", "/concerts/").replace("/QUEUE", "/queue"), {
        authorization: first.bearer
      }],
      ["an unknown concert", `/concerts/${crypto.randomUUID()}/queue`, { authorization: first.bearer }],
      ["not a UUID", "/concerts/12345/queue", { authorization: first.bearer }],
      ["no credential", path, {}],
      ["a forged access token", path, { authorization: `${first.bearer}x` }]
    ]
    const statuses: Array<number> = []
    for (const [name, casePath, headers] of cases) {
      const { contract, shortcut } = await both("POST", casePath, headers)
      assert.deepStrictEqual(shortcut, contract, name)
      statuses.push(contract.status)
    }
    assert.deepStrictEqual(statuses, [200, 200, 200, 404, 400, 401, 401])
  })
})
