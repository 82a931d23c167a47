/**
 * The root README's embedding example, run as written: it is extracted from
 * README.md and executed as a module of this workspace, so the example
 * cannot rot.
 */
import { execFile } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { promisify } from "node:util"
import { assert, describe, it } from "vitest"

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8")

/** The ```ts block after the `<!-- embedding-example -->` marker. */
const embeddingExample = () => {
  const marker = readme.indexOf("<!-- embedding-example -->")
  assert.isAtLeast(marker, 0, "README.md has no embedding example marker")
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(marker))
  assert.isNotNull(block, "no ```ts block after the marker")
  return block![1]!
}

describe("the README's embedding example", () => {
  it("runs a whole booking: created, joined, held, charged, paid", async () => {
    // Inside this package (git-ignored), so the example's imports resolve to the workspace packages.
    const folder = new URL("../.cache/readme/", import.meta.url)
    mkdirSync(folder, { recursive: true })
    const file = new URL("example.ts", folder)
    writeFileSync(file, embeddingExample())
    const env = { ...process.env }
    delete env["BOXOFFICE_SECRET"]
    const { stdout } = await promisify(execFile)(process.execPath, [file.pathname], { env, timeout: 60_000 })
    assert.deepStrictEqual(stdout.trim().split("\n"), ["queue: active", "paid 100000 KRW for seats 7, 8"])
  }, 90_000)
})
