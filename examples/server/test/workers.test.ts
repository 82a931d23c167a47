/**
 * BOXOFFICE_WORKERS: N server processes behind one port behave as one
 * through the shared stores (a seat race through the port has exactly one
 * winner, paid once), SIGTERM stops them all, and memory mode refuses N > 1.
 */
import { execFileSync } from "node:child_process"
import { get } from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, runUntilExit, spawnServer, type ServerProcess } from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { admittedUser, call, newConcert } from "./support/TestServer.ts"

let stores: Stores
let server: ServerProcess

const childrenOf = (pid: number) =>
  execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)

const exitOf = (server: ServerProcess) =>
  new Promise<number | null>((resolve) => {
    if (server.child.exitCode !== null) return resolve(server.child.exitCode)
    server.child.once("exit", (code) => resolve(code))
  })

/** A GET on a connection of its own (no keep-alive pool), so the primary hands it to any worker. */
const readyOnNewConnection = (url: string) =>
  new Promise<boolean>((resolve) => {
    const request = get(url, { agent: false, timeout: 1_000 }, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    request.on("error", () => resolve(false))
    request.on("timeout", () => request.destroy())
  })

beforeAll(async () => {
  stores = await createStores()
  server = spawnServer(stores, await freePort(), "workers-secret-of-at-least-32-bytes!", { BOXOFFICE_WORKERS: "2" })
  // Each worker answers 503 until its engine is built, so one ready answer is not enough: node:cluster
  // deals new connections out to both, and twenty ready answers in a row on fresh connections are.
  let readyInARow = 0
  for (let i = 0; i < 300; i++) {
    readyInARow = (await readyOnNewConnection(`${server.url}/ready`)) ? readyInARow + 1 : 0
    if (readyInARow === 20) return
    if (readyInARow === 0) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the workers did not start:\n${server.output()}`)
}, 60_000)

afterAll(async () => {
  if (server?.child.exitCode === null) {
    server.child.kill("SIGTERM")
    await exitOf(server)
  }
  await stores?.drop()
}, 30_000)

describe("BOXOFFICE_WORKERS", () => {
  it("runs two server processes under the primary, on one port", () => {
    assert.strictEqual(childrenOf(server.child.pid!).length, 2)
  })

  it("through the one port, 60 admitted users race for one seat: exactly one hold, paid once", async () => {
    const concert = await newConcert(server.url, { queue: { maxActive: 100 } })
    const dateId = concert.dates[0]!.dateId
    const users = await Promise.all(Array.from({ length: 60 }, () => admittedUser(server.url, concert.concertId)))
    // Sixty requests at once open many connections, which node:cluster deals out to both workers.
    const holds = await Promise.all(
      users.map((user) =>
        call(server.url, "POST", `/dates/${dateId}/holds`, {
          token: user.accessToken,
          queueToken: user.queueToken,
          body: { seatNumbers: [7] }
        })
      )
    )
    const winners = holds.flatMap((answer, i) =>
      answer.status === 201 ? [{ user: users[i]!, hold: answer.body }] : []
    )
    assert.strictEqual(winners.length, 1)
    assert.isTrue(holds.every((a) => a.status === 201 || (a.status === 409 && a.body.code === "seat-unavailable")))
    const { user, hold } = winners[0]!
    await call(server.url, "POST", "/wallet/charges", {
      token: user.accessToken,
      body: { amount: 10_000 },
      idempotencyKey: "c"
    })
    const pays = await Promise.all(
      [0, 1, 2, 3].map(() =>
        call(server.url, "POST", `/holds/${hold.holdId}/payment`, {
          token: user.accessToken,
          queueToken: user.queueToken,
          idempotencyKey: "p"
        })
      )
    )
    const receipts = pays.filter((a) => a.status === 201)
    assert.isAtLeast(receipts.length, 1)
    assert.isTrue(receipts.every((a) => a.body.paymentId === receipts[0]!.body.paymentId))
    assert.isTrue(pays.every((a) => a.status === 201 || (a.status === 409 && a.body.code === "idempotency-in-flight")))
    assert.strictEqual((await call(server.url, "GET", "/wallet", { token: user.accessToken })).body.balance, 0)
  })

  it("SIGTERM to the primary drains both workers and exits 0", async () => {
    const workers = childrenOf(server.child.pid!)
    server.child.kill("SIGTERM")
    assert.strictEqual(await exitOf(server), 0)
    const alive = workers.filter((pid) => {
      try {
        process.kill(Number(pid), 0)
        return true
      } catch {
        return false
      }
    })
    assert.deepStrictEqual(alive, [])
  })
})

describe("BOXOFFICE_WORKERS on memory", () => {
  it("is refused at start with a clear message: memory state is per process", async () => {
    const { code, output } = await runUntilExit({
      ...process.env,
      PORT: String(await freePort()),
      BOXOFFICE_WORKERS: "2",
      BOXOFFICE_STORE: "memory"
    })
    assert.notStrictEqual(code, 0)
    assert.include(output, "BOXOFFICE_WORKERS > 1 needs shared stores")
  })
})
