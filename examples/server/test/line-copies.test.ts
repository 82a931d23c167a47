/**
 * Polls answered from each instance's copy of the line (issue 38) are the example server's default on Redis:
 * `BOXOFFICE_LINE_STALENESS_MS` reads 1000 unless set, 0 turns copies off, and a server configured with neither
 * answers a waiter's polls over HTTP from its copy, exactly as the store would.
 */
import { ConfigProvider, Effect } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
// The server loads `@boxoffice/redis` from its build, so the counters are that module's.
import { displayReads } from "../../../packages/redis/dist/internal/LineCopies.js"
import { serverConfig } from "../src/ServerConfig.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { admittedUser, call, newConcert, newUser, startServerOn } from "./support/TestServer.ts"

let stores: Stores
beforeAll(async () => {
  stores = await createStores()
}, 60_000)
afterAll(async () => {
  await stores?.drop()
})

const read = (env: Record<string, string>) =>
  Effect.runPromise(
    Effect.result(serverConfig).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
  )

/** A waiter at place 1 behind one admitted user, and their poll. */
const waiterOn = async (base: string) => {
  const concert = await newConcert(base, { queue: { maxActive: 1 } })
  await admittedUser(base, concert.concertId)
  const user = await newUser(base)
  const joined = await call(base, "POST", `/concerts/${concert.concertId}/queue`, { token: user.accessToken })
  assert.strictEqual(joined.body.status, "waiting")
  return () => call(base, "GET", "/queue/status", { token: user.accessToken, queueToken: joined.body.queueToken })
}

describe("polls answered from each instance's copy of the line", () => {
  it("reads BOXOFFICE_LINE_STALENESS_MS: 1000 unless set, 0 for off, and 100 to 60,000 otherwise", async () => {
    const staleness = async (env: Record<string, string>) => {
      const config = await read(env)
      return config._tag === "Success" ? config.success.lineStalenessMs : "refused"
    }
    assert.strictEqual(await staleness({}), 1_000)
    assert.strictEqual(await staleness({ BOXOFFICE_LINE_STALENESS_MS: "0" }), 0)
    assert.strictEqual(await staleness({ BOXOFFICE_LINE_STALENESS_MS: "250" }), 250)
    assert.strictEqual(await staleness({ BOXOFFICE_LINE_STALENESS_MS: "50" }), "refused")
    assert.strictEqual(await staleness({ BOXOFFICE_LINE_STALENESS_MS: "60001" }), "refused")
  })

  it("on Redis unless configured: a waiter's polls come from the copy, with the store's answer", async () => {
    const server = await startServerOn(stores)
    try {
      const poll = await waiterOn(server.url)
      // The join started the copy of the line; it answers once it has read the line and ticked.
      const deadline = performance.now() + 10_000
      for (let before = displayReads.fromCopy; displayReads.fromCopy === before; ) {
        assert.isBelow(performance.now(), deadline, "no poll was answered from the copy")
        const answer = await poll()
        assert.deepStrictEqual([answer.body.status, answer.body.position], ["waiting", 1])
      }
      const fromCopyBefore = displayReads.fromCopy
      for (let i = 0; i < 20; i++) {
        const answer = await poll()
        assert.deepStrictEqual([answer.status, answer.body.status, answer.body.position], [200, "waiting", 1])
      }
      assert.strictEqual(displayReads.fromCopy - fromCopyBefore, 20)
    } finally {
      await server.close()
    }
  })

  it("with 0: every poll goes to the store", async () => {
    const server = await startServerOn(stores, { lineStalenessMs: 0 })
    try {
      const poll = await waiterOn(server.url)
      const before = { ...displayReads }
      for (let i = 0; i < 20; i++) assert.strictEqual((await poll()).body.position, 1)
      assert.deepStrictEqual(displayReads, before)
    } finally {
      await server.close()
    }
  })
})
