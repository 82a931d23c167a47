/**
 * The ceiling: a bare node:http server answering a small JSON body, the
 * fastest a Node server on this machine answers anything.
 *
 * With `BENCH_WORK_US=N` it first spends about N µs of CPU on each request
 * (a loop calibrated at start), so that the bench can measure what a given
 * amount of per-request work costs in throughput on this machine: the
 * budget that a share of the ceiling leaves.
 */
import { createServer } from "node:http"
import { CalibratedWork } from "./CalibratedWork.ts"

const body = JSON.stringify({ status: "ok" })
const work = CalibratedWork.make(Number(process.env["BENCH_WORK_US"] ?? 0))
createServer((_request, response) => {
  work()
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  response.end(body)
}).listen(Number(process.env["PORT"] ?? 3999), "127.0.0.1")
process.on("SIGTERM", () => process.exit(0))
