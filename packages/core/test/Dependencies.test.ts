/**
 * Proves the direction of dependencies (docs/spec.md, Packages): core depends on effect and
 * @noble/hashes (for the tokens' HMAC) alone, and imports no Node module.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "vitest"

const root = join(import.meta.dirname, "..")

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

describe("@boxoffice/core dependencies", () => {
  it("declares effect and @noble/hashes and nothing else", () => {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
    assert.deepStrictEqual(Object.keys(manifest.peerDependencies), ["effect"])
    assert.deepStrictEqual(Object.keys(manifest.dependencies), ["@noble/hashes"])
  })
  it("imports only effect, @noble/hashes and its own files", () => {
    const files = sourceFiles(join(root, "src"))
    assert.isAbove(files.length, 20)
    for (const file of files) {
      // JSDoc examples import the published package; only real statements count.
      const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "")
      const imports = [...code.matchAll(/from "([^"]+)"/g)].map((m) => m[1]!)
      for (const specifier of imports) {
        assert.isTrue(
          specifier === "effect" ||
            specifier.startsWith("effect/") ||
            specifier.startsWith("@noble/hashes/") ||
            specifier.startsWith("."),
          `${file} imports ${specifier}`
        )
      }
    }
  })
})
