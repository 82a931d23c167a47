/**
 * The API's documents (`/docs`, the Swagger UI page with its scripts, styles
 * and the OpenAPI document inlined, about 2 MB; and `/openapi.json`) are the
 * same answer for every request until the server restarts. They go out
 * compressed when the client accepts it (Brotli, else gzip, with
 * `node:zlib`), each encoding made once per body, in the background, and
 * kept; and with a strong `ETag` (a SHA-256 of the bytes) and
 * `Cache-Control: no-cache`, so that a browser asks again and gets `304 Not
 * Modified` with no body while nothing changed.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { promisify } from "node:util"
import { brotliCompress, constants, gzip } from "node:zlib"
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"

/** The paths whose answers are documents. */
const documentPaths = new Set(["/docs", "/openapi.json"])

type Encoding = "br" | "gzip"

interface Document {
  /** The ETag of the uncompressed bytes; an encoding's adds `-br` or `-gzip` inside the quotes. */
  readonly hash: string
  readonly identity: Uint8Array
  readonly contentType: string
  readonly encoded: Map<Encoding, Promise<Uint8Array>>
}

const compressBrotli = promisify(brotliCompress)
const compressGzip = promisify(gzip)

/**
 * Brotli at quality 9 and gzip at level 9: 2 MB of Swagger UI compresses to
 * about a fifth in a few tenths of a second, once per process; quality 11
 * would take seconds for a few percent.
 */
const compress = (encoding: Encoding, bytes: Uint8Array): Promise<Uint8Array> =>
  encoding === "br"
    ? compressBrotli(bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 9,
          [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength
        }
      })
    : compressGzip(bytes, { level: 9 })

/** Documents by the body object of their (memoized) response, so each is hashed and compressed once. */
const documents = new WeakMap<object, Document>()

const documentOf = (body: object, bytes: Uint8Array, contentType: string): Document => {
  const known = documents.get(body)
  if (known !== undefined) return known
  const document: Document = {
    hash: createHash("sha256").update(bytes).digest("base64url").slice(0, 32),
    identity: bytes,
    contentType,
    encoded: new Map()
  }
  documents.set(body, document)
  return document
}

/** The encodings `Accept-Encoding` allows, Brotli first; a `q=0` refuses one. */
const acceptedEncodings = (header: string | undefined): Array<Encoding> => {
  if (header === undefined) return []
  const accepted = new Set<string>()
  const refused = new Set<string>()
  for (const part of header.split(",")) {
    const [name, ...parameters] = part.trim().toLowerCase().split(";")
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith("q="))
    if (q !== undefined && Number(q.slice(2)) === 0) refused.add(name!)
    else accepted.add(name!)
  }
  const allows = (encoding: Encoding) => !refused.has(encoding) && (accepted.has(encoding) || accepted.has("*"))
  return (["br", "gzip"] as const).filter(allows)
}

const etagOf = (document: Document, encoding: Encoding | null) =>
  `"${document.hash}${encoding === null ? "" : `-${encoding}`}"`

/** Whether `If-None-Match` names a tag of this document, in any encoding. */
const unchanged = (document: Document, header: string | undefined): boolean =>
  header?.split(",").some((tag) => {
    const bare = tag.trim().replace(/^W\//, "")
    return bare === "*" || bare === etagOf(document, null) || bare.startsWith(`"${document.hash}-`)
  }) === true

/** Whether this request's answer may be a document: the check every request pays, so a cheap one. */
export const isDocumentRequest = (method: string, url: string): boolean =>
  method === "GET" && documentPaths.has(url.includes("?") ? url.slice(0, url.indexOf("?")) : url)

/**
 * The document answer, compressed and tagged for the request's headers, or
 * the response as it was when it is not a whole document (a problem, a
 * stream).
 */
export const documentAnswer = (
  headers: Readonly<Record<string, string | undefined>>,
  response: HttpServerResponse.HttpServerResponse
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const body = response.body
  if (response.status !== 200 || body._tag !== "Uint8Array") return Effect.succeed(response)
  const document = documentOf(body, body.body, body.contentType)
  const encoding = acceptedEncodings(headers["accept-encoding"])[0] ?? null
  const caching = {
    etag: etagOf(document, encoding),
    vary: "accept-encoding",
    "cache-control": "no-cache"
  }
  if (unchanged(document, headers["if-none-match"])) {
    return Effect.succeed(HttpServerResponse.empty({ status: 304, headers: caching }))
  }
  if (encoding === null) return Effect.succeed(HttpServerResponse.setHeaders(response, caching))
  let encoded = document.encoded.get(encoding)
  if (encoded === undefined) {
    encoded = compress(encoding, document.identity)
    document.encoded.set(encoding, encoded)
  }
  return Effect.map(
    Effect.promise(() => encoded),
    (bytes) =>
      HttpServerResponse.uint8Array(bytes, {
        status: 200,
        contentType: document.contentType,
        headers: { ...caching, "content-encoding": encoding }
      })
  )
}
