/**
 * The API's documents over a real socket: `/docs` (Swagger UI with its
 * scripts, styles and the OpenAPI document inlined) and `/openapi.json` go
 * out compressed when the client accepts it, with a strong ETag, and as a
 * bodiless 304 when the client already has them; the bytes decompress to
 * exactly what an uncompressed request gets.
 */
import { request } from "node:http"
import { brotliDecompressSync, gunzipSync } from "node:zlib"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type RunningServer, startServer } from "./support/TestServer.ts"

interface RawAnswer {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: Buffer
}

/** A GET with exactly these headers (fetch would add and undo an Accept-Encoding of its own). */
const get = (url: string, headers: Record<string, string> = {}) =>
  new Promise<RawAnswer>((resolve, reject) => {
    const req = request(url, { headers }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () =>
        resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) })
      )
    })
    req.on("error", reject)
    req.end()
  })

let server: RunningServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server?.close())

describe("the API's documents", () => {
  for (const path of ["/docs", "/openapi.json"]) {
    it(`${path}: Brotli or gzip when accepted, the same bytes either way, and 304 for a known ETag`, async () => {
      const plain = await get(`${server.url}${path}`)
      assert.strictEqual(plain.status, 200)
      assert.isUndefined(plain.headers["content-encoding"])
      assert.strictEqual(plain.headers["cache-control"], "no-cache")
      assert.strictEqual(plain.headers["vary"], "accept-encoding")
      const tag = plain.headers["etag"] as string
      assert.match(tag, /^"[A-Za-z0-9_-]{32}"$/)

      const br = await get(`${server.url}${path}`, { "accept-encoding": "gzip, deflate, br" })
      assert.strictEqual(br.headers["content-encoding"], "br")
      assert.strictEqual(br.headers["etag"], `${tag.slice(0, -1)}-br"`)
      assert.isTrue(brotliDecompressSync(br.body).equals(plain.body))
      assert.strictEqual(Number(br.headers["content-length"]), br.body.length)

      const gzip = await get(`${server.url}${path}`, { "accept-encoding": "gzip, br;q=0" })
      assert.strictEqual(gzip.headers["content-encoding"], "gzip")
      assert.isTrue(gunzipSync(gzip.body).equals(plain.body))

      // A second request gets the same compressed bytes, made once.
      const again = await get(`${server.url}${path}`, { "accept-encoding": "br" })
      assert.isTrue(again.body.equals(br.body))

      for (const known of [tag, br.headers["etag"] as string, `W/${tag}`]) {
        const notModified = await get(`${server.url}${path}`, { "accept-encoding": "br", "if-none-match": known })
        assert.strictEqual(notModified.status, 304)
        assert.strictEqual(notModified.body.length, 0)
        assert.strictEqual(notModified.headers["etag"], br.headers["etag"])
      }
      const changed = await get(`${server.url}${path}`, { "if-none-match": '"something-else"' })
      assert.strictEqual(changed.status, 200)

      console.log(
        `[docs] ${path}: ${plain.body.length} bytes, ${br.body.length} with Brotli, ${gzip.body.length} with gzip`
      )
      if (path === "/docs") assert.isBelow(br.body.length, plain.body.length / 3)
    })
  }

  it("other answers are left as they were", async () => {
    const concerts = await get(`${server.url}/concerts`, { "accept-encoding": "br" })
    assert.strictEqual(concerts.status, 200)
    assert.isUndefined(concerts.headers["content-encoding"])
    assert.isUndefined(concerts.headers["etag"])
  })
})
