/**
 * The node:http server under the app. It listens before the engine is ready
 * (migrations, store connections), so that a request arriving then gets an
 * answer at once, 503 `unavailable` with `Retry-After`, rather than none; the
 * app's handler replaces that answer the moment it is attached. A request the
 * parser refuses (headers too large, a malformed request line) is answered
 * as problem+json too.
 */
import { rawProblemResponse, transportProblem } from "@boxoffice/http"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { Duplex } from "node:stream"

const startingBody = JSON.stringify(transportProblem("unavailable", "the server is starting; retry in a moment"))

const answerWhileStarting = (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(503, {
    "content-type": "application/problem+json",
    "retry-after": "1",
    "content-length": Buffer.byteLength(startingBody)
  })
  response.end(startingBody)
}

const answerParseError = (error: Error & { readonly code?: string }, socket: Duplex) => {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy()
    return
  }
  socket.end(
    error.code === "HPE_HEADER_OVERFLOW"
      ? rawProblemResponse("request-header-fields-too-large", "the request headers are larger than the server reads")
      : rawProblemResponse("invalid-request", "the request is not valid HTTP/1.1")
  )
}

/** A node:http server that answers from the moment it listens. */
export const createBoxofficeServer = () => {
  const server = createServer()
  server.on("request", answerWhileStarting)
  // Emitted just before the app's handler is added: from then on the app answers alone.
  server.on("newListener", (event, listener) => {
    if (event === "request" && listener !== answerWhileStarting) server.removeListener("request", answerWhileStarting)
  })
  server.on("clientError", answerParseError)
  return server
}
