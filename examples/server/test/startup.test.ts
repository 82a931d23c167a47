/**
 * Proves that a server that is starting answers: a server process on
 * Postgres + Redis is hammered with /health from the moment it is spawned,
 * while a test holds the migration lock so that startup lasts; every request
 * that reaches the port gets an answer within a second, 503 `unavailable`
 * until the engine is ready and 200 after.
 */
import { migrationLockKey } from "@boxoffice/postgres"
import postgres from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, spawnServer } from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
let stores: Stores
beforeAll(async () => {
  stores = await createStores()
}, 60_000)
afterAll(async () => {
  await stores?.drop()
})

type Probe =
  | { readonly kind: "refused" }
  | {
      readonly kind: "answered"
      readonly status: number
      readonly code: string | null
      readonly retryAfter: string | null
      readonly ms: number
    }
  | { readonly kind: "silent" }

const probe = async (url: string): Promise<Probe> => {
  const started = performance.now()
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })
    const body = (await response.json()) as { code?: string }
    return {
      kind: "answered",
      status: response.status,
      code: body.code ?? null,
      retryAfter: response.headers.get("retry-after"),
      ms: performance.now() - started
    }
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code
    return code === "ECONNREFUSED" ? { kind: "refused" } : { kind: "silent" }
  }
}

describe("startup", () => {
  it("every request during startup is answered within a second: 503 unavailable, then 200", async () => {
    // Holding the migrator's lock keeps the server in its startup for as long as the test wants.
    const holder = postgres(stores.databaseUrl, {
      max: 1,
      onnotice: () => {},
      connection: { search_path: "boxoffice" }
    })
    await holder`select pg_advisory_lock(${migrationLockKey})`
    const { child, url, output } = spawnServer(stores, await freePort(), "startup-test-secret-of-at-least-32-bytes")
    const probes: Array<Probe> = []
    try {
      let released = false
      for (let i = 0; i < 400; i++) {
        const batch = await Promise.all([probe(url), probe(url), probe(url)])
        probes.push(...batch)
        const starting = probes.filter((p) => p.kind === "answered" && p.status === 503).length
        // Once the server has answered "starting" a few times, let it finish.
        if (!released && starting >= 6) {
          await holder`select pg_advisory_unlock(${migrationLockKey})`
          released = true
        }
        if (batch.every((p) => p.kind === "answered" && p.status === 200)) break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      const answered = probes.filter((p): p is Extract<Probe, { kind: "answered" }> => p.kind === "answered")
      const silent = probes.filter((p) => p.kind === "silent").length
      console.log(
        `[startup] ${probes.length} probes: ${probes.length - answered.length - silent} refused before listening, ` +
          `${answered.filter((p) => p.status === 503).length} answered 503, ${answered.filter((p) => p.status === 200).length} answered 200, ` +
          `${silent} unanswered; slowest answer ${Math.round(Math.max(...answered.map((p) => p.ms)))} ms`
      )
      assert.strictEqual(silent, 0, `requests went unanswered:\n${output()}`)
      assert.isTrue(answered.every((p) => p.ms < 1_000))
      assert.isTrue(
        answered.every(
          (p) => p.status === 200 || (p.status === 503 && p.code === "unavailable" && p.retryAfter === "1")
        )
      )
      assert.isAtLeast(answered.filter((p) => p.status === 503).length, 6)
      assert.strictEqual(answered.at(-1)!.status, 200, output())
    } finally {
      child.kill("SIGTERM")
      await new Promise((resolve) => child.once("exit", resolve))
      await holder.end({ timeout: 5 })
    }
  }, 60_000)
})
