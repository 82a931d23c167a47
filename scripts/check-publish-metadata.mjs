// Run by each package's prepublishOnly: refuses to publish a package whose
// manifest lacks what the registry page and npm provenance need. The
// project's public address is not decided yet (docs/releasing.md), so today
// this refuses every publish, on purpose.
import { readFileSync } from "node:fs"

const manifest = JSON.parse(readFileSync("package.json", "utf8"))
const missing = ["repository", "homepage", "bugs", "license", "keywords", "description"].filter(
  (field) => !manifest[field]
)
if (missing.length > 0) {
  console.error(`${manifest.name}: not published: package.json lacks ${missing.join(", ")} (see docs/releasing.md)`)
  process.exit(1)
}
