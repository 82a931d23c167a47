/**
 * Re-renders docs/benchmarks.md and the chart from a results file, without
 * measuring again: node packages/bench/dist/render.js docs/benchmarks/<date>.json
 */
import { readFileSync } from "node:fs"
import { type Results, writeReport } from "./Report.ts"

const file = process.argv[2]
if (file === undefined) throw new Error("usage: render.js <results.json>")
writeReport(JSON.parse(readFileSync(file, "utf8")) as Results)
console.log(`rendered docs/benchmarks.md from ${file}`)
