/**
 * The access log's two modes: `errors` (the default) writes a line only
 * for answers of 500 and above, `all` one per request.
 */
import { Effect, Layer, Logger, References } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { assert, describe, it } from "vitest"
import { accessLogLayer, type AccessLogMode } from "../src/AccessLog.ts"

/** Sends the requests through an app with the access log of `mode`; answers the lines logged. */
const linesLogged = async (mode: AccessLogMode, paths: ReadonlyArray<string>) => {
  const lines: Array<{ message: unknown; status: unknown }> = []
  const capture = Logger.layer([
    Logger.make(({ message, fiber }) => {
      const annotations = fiber.getRef(References.CurrentLogAnnotations) as Record<string, unknown>
      lines.push({ message, status: annotations["http.status"] })
    })
  ])
  const routes = Layer.mergeAll(
    HttpRouter.add("GET", "/ok", Effect.succeed(HttpServerResponse.text("ok"))),
    HttpRouter.add("GET", "/missing", Effect.succeed(HttpServerResponse.text("no", { status: 404 }))),
    HttpRouter.add("GET", "/down", Effect.succeed(HttpServerResponse.text("down", { status: 503 }))),
    accessLogLayer(mode),
    capture
  )
  const { handler, dispose } = HttpRouter.toWebHandler(routes, { disableLogger: true })
  try {
    for (const path of paths) await handler(new Request(`http://localhost${path}`))
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
})
