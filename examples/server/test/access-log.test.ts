/**
 * The access log's two modes, as the transport guards' answer hook:
 * `errors` (the default) writes a line only for answers of 500 and above,
 * `all` one per request. A body over the limit and a malformed path are
 * answered as problems and are not errors of the server: no ERROR line.
 */
import { Effect, Layer, Logger, References } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { assert, describe, it } from "vitest"
import { TransportGuards } from "@boxoffice/http"
import { accessLogHook, type AccessLogMode } from "../src/AccessLog.ts"

/** Sends the requests through an app with the access log of `mode`; answers the lines logged. */
const linesLogged = async (mode: AccessLogMode, paths: ReadonlyArray<string | Request>) => {
  const lines: Array<{ message: unknown; status: unknown; level: string }> = []
  const capture = Logger.layer([
    Logger.make(({ message, fiber, logLevel }) => {
      const annotations = fiber.getRef(References.CurrentLogAnnotations) as Record<string, unknown>
      lines.push({ message, status: annotations["http.status"], level: logLevel })
    })
  ])
  const routes = Layer.mergeAll(
    HttpRouter.add("GET", "/ok", Effect.succeed(HttpServerResponse.text("ok"))),
    HttpRouter.add("GET", "/missing", Effect.succeed(HttpServerResponse.text("no", { status: 404 }))),
    HttpRouter.add("GET", "/down", Effect.succeed(HttpServerResponse.text("down", { status: 503 }))),
    HttpRouter.add("POST", "/body", (request) =>
      Effect.as(Effect.orDie(request.text), HttpServerResponse.text("read"))
    ),
    TransportGuards.layer({ maxBodyBytes: 16, onAnswer: accessLogHook(mode) }),
    capture
  )
  const { handler, dispose } = HttpRouter.toWebHandler(routes, { disableLogger: true })
  try {
    for (const path of paths) await handler(typeof path === "string" ? new Request(`http://localhost${path}`) : path)
  } finally {
    await dispose()
  }
  return lines
}

describe("access log", () => {
  it("errors: only the 5xx answer is logged, with its status", async () => {
    const lines = await linesLogged("errors", ["/ok", "/missing", "/down", "/ok"])
    assert.deepStrictEqual(
      lines.map((l) => l.status),
      [503]
    )
  })

  it("all: every request is logged, with its status", async () => {
    const lines = await linesLogged("all", ["/ok", "/missing", "/down"])
    assert.deepStrictEqual(
      lines.map((l) => l.status),
      [200, 404, 503]
    )
  })

  it("a refused body and a malformed path: problems, logged at WARN, never at ERROR", async () => {
    const streamed = new Request("http://localhost/body", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        start: (controller) => {
          controller.enqueue(new TextEncoder().encode("x".repeat(64)))
          controller.close()
        }
      }),
      duplex: "half"
    } as RequestInit)
    const lines = await linesLogged("errors", [streamed, "/concerts/%ZZ"])
    assert.deepStrictEqual(
      lines.filter((l) => l.level === "Error"),
      []
    )
    assert.deepStrictEqual(
      lines.map((l) => l.level),
      ["Warn", "Warn"]
    )
  })
})
