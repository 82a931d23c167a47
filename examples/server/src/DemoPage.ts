/**
 * Serves the demo page at `/` and the operator view at `/operator`, with
 * their assets, from the folder Vite builds (`dist-web`). The files are
 * read once at start: they are small, and nothing is fetched from any CDN.
 */
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { extname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** Where `pnpm run build:web` puts the pages, beside `src` and `dist`. */
export const defaultWebRoot = fileURLToPath(new URL("../dist-web/", import.meta.url))

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon"
}

// The pages talk only to this origin; everything they load comes from it too.
const htmlHeaders = {
  "cache-control": "no-cache",
  "content-security-policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff"
}
// Asset names carry a content hash, so a browser may keep them for good.
const assetHeaders = { "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" }

const response = (bytes: Uint8Array, path: string, headers: Record<string, string>) =>
  HttpServerResponse.uint8Array(bytes, {
    contentType: contentTypes[extname(path)] ?? "application/octet-stream",
    headers
  })

/**
 * The routes, or none (with a warning) when the pages were not built: the
 * API serves on either way.
 *
 * @example
 * ```ts
 * import { demoPageLayer, defaultWebRoot } from "./DemoPage.ts"
 * const pages = demoPageLayer(defaultWebRoot)
 * ```
 */
export const demoPageLayer = (webRoot: string) =>
  Layer.unwrap(
    Effect.sync(() => {
      if (!existsSync(join(webRoot, "index.html"))) {
        return Layer.effectDiscard(
          Effect.logWarning(
            `the demo page is not built (no ${webRoot}index.html): run pnpm --filter @boxoffice/example-server build:web`
          )
        )
      }
      const page = (file: string) => response(readFileSync(join(webRoot, file)), file, htmlHeaders)
      const assetsDir = join(webRoot, "assets")
      const assets = new Map<string, HttpServerResponse.HttpServerResponse>(
        (existsSync(assetsDir) ? readdirSync(assetsDir) : []).map(
          (name) => [`/assets/${name}`, response(readFileSync(join(assetsDir, name)), name, assetHeaders)] as const
        )
      )
      const notFound = HttpServerResponse.jsonUnsafe(
        {
          type: "urn:boxoffice:problem:not-found",
          title: "Not found",
          status: 404,
          code: "not-found",
          detail: "no such asset"
        },
        { status: 404, contentType: "application/problem+json" }
      )
      return Layer.mergeAll(
        HttpRouter.add("GET", "/", page("index.html")),
        HttpRouter.add("GET", "/operator", page("operator.html")),
        HttpRouter.add("GET", "/assets/*", (request) =>
          Effect.succeed(assets.get(request.url.split("?")[0]!) ?? notFound)
        )
      )
    })
  )
