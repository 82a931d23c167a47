/** The version the package reports is the one in its manifest. */
import { readFileSync } from "node:fs"
import { packageVersion } from "@boxoffice/http"
import { assert, describe, it } from "vitest"

describe("packageVersion", () => {
  it("is package.json's version", () => {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
    assert.strictEqual(packageVersion, manifest.version)
    assert.match(packageVersion, /^\d+\.\d+\.\d+/)
  })
})
