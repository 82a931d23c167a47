/**
 * Re-renders docs/benchmarks.md and the chart from a results file, without
 * measuring again, optionally beside an earlier run:
 *   node packages/bench/dist/render.js docs/benchmarks/<date>.json [docs/benchmarks/<earlier>.json]
 */
import { readFileSync } from "node:fs"
import { basename } from "node:path"
import { type Results, writeReport } from "./Report.ts"

const [file, beforeFile] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: render.js <results.json> [<before.json>]")
const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Results
writeReport(
  read(file),
  beforeFile === undefined ? undefined : { file: basename(beforeFile), results: read(beforeFile) }
)
console.log(`rendered docs/benchmarks.md from ${file}${beforeFile === undefined ? "" : ` beside ${beforeFile}`}`)
