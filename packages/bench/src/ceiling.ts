/**
 * The ceiling: a bare node:http server answering a small JSON body, the
 * fastest a Node server on this machine answers anything.
 */
import { createServer } from "node:http"

const body = JSON.stringify({ status: "ok" })
createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  response.end(body)
}).listen(Number(process.env["PORT"] ?? 3999), "127.0.0.1")
process.on("SIGTERM", () => process.exit(0))
