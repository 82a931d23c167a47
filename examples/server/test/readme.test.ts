/**
 * The READMEs' examples, run as written: each ```ts block after an
 * `<!-- example -->` marker (the root README's `<!-- embedding-example -->`)
 * is extracted and executed as a module of this workspace, against real
 * Postgres and Redis where it needs them, so no example can rot. The
 * testing package's example is a vitest file: it is run by vitest.
 */
import { execFile } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort } from "./support/ServerProcess.ts"
import { createStores, redisUrl, type Stores } from "./support/Stores.ts"

const run = promisify(execFile)
const repository = new URL("../../../", import.meta.url)

/** The ```ts block after `marker` in the markdown file at `path` (from the repository root). */
const exampleIn = (path: string, marker: string) => {
  const markdown = readFileSync(new URL(path, repository), "utf8")
  const at = markdown.indexOf(marker)
  assert.isAtLeast(at, 0, `${path} has no ${marker}`)
  const block = /```ts\n([\s\S]*?)```/.exec(markdown.slice(at))
  assert.isNotNull(block, `no ts block after ${marker} in ${path}`)
  return block![1]!
}

/** Writes `source` inside this package (git-ignored), so its imports resolve to the workspace packages. */
const place = (name: string, source: string) => {
  const folder = new URL(`../.cache/readme/${name}/`, import.meta.url)
  mkdirSync(folder, { recursive: true })
  const file = new URL(name.endsWith("testing") ? "example.test.ts" : "example.ts", folder)
  writeFileSync(file, source)
  return fileURLToPath(file)
}

const runExample = async (name: string, source: string, env: Record<string, string> = {}) => {
  const environment: Record<string, string | undefined> = { ...process.env, ...env }
  delete environment["BOXOFFICE_SECRET"]
  const { stdout } = await run(process.execPath, [place(name, source)], { env: environment, timeout: 60_000 })
  return stdout.trim().split("\n")
}

let stores: Stores
beforeAll(async () => {
  stores = await createStores()
}, 60_000)
afterAll(async () => {
  await stores?.drop()
})

describe("the READMEs' examples", () => {
  it("root README: a whole booking, embedded", async () => {
    assert.deepStrictEqual(await runExample("root", exampleIn("README.md", "<!-- embedding-example -->")), [
      "queue: active",
      "paid 100000 KRW for seats 7, 8"
    ])
  }, 90_000)

  it("root README: the same booking on Postgres + Redis, after migrating", async () => {
    assert.deepStrictEqual(
      await runExample("root-production", exampleIn("README.md", "<!-- production-example -->"), {
        DATABASE_URL: stores.databaseUrl,
        REDIS_URL: redisUrl,
        BOXOFFICE_REDIS_PREFIX: stores.redisKeyPrefix
      }),
      ["queue: active", "paid 100000 KRW for seats 7, 8"]
    )
  }, 90_000)

  it("@boxoffice/core: a whole booking", async () => {
    assert.deepStrictEqual(await runExample("core", exampleIn("packages/core/README.md", "<!-- example -->")), [
      "paid 100000 KRW; balance 0"
    ])
  }, 90_000)

  it("@boxoffice/memory: the second joiner waits first in line", async () => {
    assert.deepStrictEqual(await runExample("memory", exampleIn("packages/memory/README.md", "<!-- example -->")), [
      "active; waiting at position 1"
    ])
  }, 90_000)

  it("@boxoffice/postgres: migrate, then hold a seat", async () => {
    assert.deepStrictEqual(
      await runExample("postgres", exampleIn("packages/postgres/README.md", "<!-- example -->"), {
        DATABASE_URL: stores.databaseUrl
      }),
      ["held seat 1 for 40000 KRW"]
    )
  }, 90_000)

  it("@boxoffice/redis: the second joiner waits first in line", async () => {
    assert.deepStrictEqual(
      await runExample("redis", exampleIn("packages/redis/README.md", "<!-- example -->"), {
        REDIS_URL: redisUrl,
        BOXOFFICE_REDIS_PREFIX: stores.redisKeyPrefix
      }),
      ["active; waiting at position 1"]
    )
  }, 90_000)

  it("@boxoffice/http: serve the API and call it with the typed client", async () => {
    assert.deepStrictEqual(
      await runExample("http", exampleIn("packages/http/README.md", "<!-- example -->"), {
        PORT: String(await freePort())
      }),
      [`wallet: {"balance":0,"available":0}`]
    )
  }, 90_000)

  it("@boxoffice/testing: the three suites pass on the memory adapter under vitest", async () => {
    const file = place("testing", exampleIn("packages/testing/README.md", "<!-- example: vitest -->"))
    const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url))
    const { stdout } = await run(
      process.execPath,
      [vitest, "run", "--root", fileURLToPath(new URL(".", `file://${file}`))],
      {
        env: { ...process.env, BOXOFFICE_PROPERTY_RUNS: "20", NO_COLOR: "1" },
        timeout: 120_000
      }
    )
    const tally = /Tests\s+(\d+) passed \((\d+)\)/.exec(stdout)
    assert.isNotNull(tally, stdout)
    assert.strictEqual(tally![1], tally![2], stdout)
    assert.isAtLeast(Number(tally![1]), 50, stdout)
  }, 180_000)
})
