/**
 * A queue-token signer for the property harness. Web Crypto resolves on a
 * thread pool, outside fast-check's scheduler, which would make a failing
 * interleaving unreplayable from its seed; node:crypto signs synchronously.
 * The production signer is proven by core's own tests.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { QueueTokenClaims, QueueTokenInvalid, QueueTokenSigner } from "@boxoffice/core"
import { Effect, Layer, Result, Schema } from "effect"

const decodeClaims = Schema.decodeUnknownResult(Schema.fromJsonString(QueueTokenClaims))
const encodeClaims = Schema.encodeSync(Schema.fromJsonString(QueueTokenClaims))

export const syncSignerLayer = (secret: string): Layer.Layer<QueueTokenSigner> => {
  const mac = (body: string) => createHmac("sha256", secret).update(body).digest()
  return Layer.succeed(
    QueueTokenSigner,
    QueueTokenSigner.of({
      sign: (claims) =>
        Effect.sync(() => {
          const body = Buffer.from(encodeClaims(claims)).toString("base64url")
          return `${body}.${mac(body).toString("base64url")}`
        }),
      verify: (token) =>
        Effect.suspend(() => {
          const [body, signature, ...rest] = token.split(".")
          const given = Buffer.from(signature ?? "", "base64url")
          const expected = mac(body ?? "")
          const canonical = given.toString("base64url") === signature
          if (rest.length > 0 || !canonical || given.length !== expected.length || !timingSafeEqual(given, expected)) {
            return Effect.fail(new QueueTokenInvalid({ detail: "queue token signature does not match" }))
          }
          const claims = decodeClaims(Buffer.from(body!, "base64url").toString())
          return Result.isSuccess(claims)
            ? Effect.succeed(claims.success)
            : Effect.fail(new QueueTokenInvalid({ detail: "queue token claims are malformed" }))
        })
    })
  )
}
