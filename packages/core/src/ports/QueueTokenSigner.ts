/**
 * Port: signing and verifying queue tokens (L6).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Redacted, Result, Schema } from "effect"
import { QueueTokenInvalid } from "../Errors.ts"
import { Base64Url } from "../internal/base64url.ts"
import { makeHmacKey, requireLongSecret } from "../internal/hmac.ts"
import { makeVerifiedTokens } from "../VerifiedTokens.ts"
import { Limits } from "../model/Limits.ts"
import { QueueTokenClaims } from "../model/QueueEntry.ts"

const tokenPrefix = "qt1"
const tokenLengthMax = 1024
const decodeClaims = Schema.decodeUnknownResult(Schema.fromJsonString(QueueTokenClaims))
/**
 * The claims' JSON, as `Schema.fromJsonString(QueueTokenClaims)` encodes it (ids and an integer need no
 * encoding; the keys in the schema's order), written directly since every join signs claims and the schema's
 * encoder does work these fields do not need. A test holds the two alike.
 */
const encodeClaims = (claims: QueueTokenClaims) =>
  JSON.stringify({
    tokenId: claims.tokenId,
    userId: claims.userId,
    concertId: claims.concertId,
    issuedAtMs: claims.issuedAtMs
  })

/**
 * Signs queue tokens and verifies them without touching any store: a forged
 * or altered token fails here, before a store is read.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { QueueTokenSigner } from "@boxoffice/core"
 * const layer = QueueTokenSigner.layerHmac(Redacted.make("a random secret of at least 32 bytes"))
 * const check = QueueTokenSigner.use((s) => s.verify("qt1.forged.token")).pipe(Effect.provide(layer))
 * ```
 * @category ports
 */
export class QueueTokenSigner extends Context.Service<
  QueueTokenSigner,
  {
    readonly sign: (claims: QueueTokenClaims) => Effect.Effect<string>
    readonly verify: (token: string) => Effect.Effect<QueueTokenClaims, QueueTokenInvalid>
  }
>()("@boxoffice/core/QueueTokenSigner") {
  /**
   * HMAC-SHA256 over `qt1.<base64url claims JSON>`. The token is
   * `qt1.<claims>.<signature>`. Instances that share the secret accept each
   * other's tokens. With `previousSecret`, tokens signed before a rotation
   * still verify (new ones are signed with `secret`), so rotating the secret
   * ends no queue token. A secret under 32 bytes is a defect.
   */
  static readonly layerHmac = (
    secret: Redacted.Redacted<string>,
    options: { readonly previousSecret?: Redacted.Redacted<string> } = {}
  ): Layer.Layer<QueueTokenSigner> =>
    Layer.effect(
      QueueTokenSigner,
      Effect.andThen(
        requireLongSecret(secret, "QueueTokenSigner.layerHmac's secret"),
        options.previousSecret === undefined
          ? Effect.void
          : requireLongSecret(options.previousSecret, "QueueTokenSigner.layerHmac's previousSecret")
      ).pipe(Effect.andThen(Effect.sync(() => signerOf(secret, options.previousSecret))))
    )
}

const signerOf = (
  secret: Redacted.Redacted<string>,
  previousSecret: Redacted.Redacted<string> | undefined
): QueueTokenSigner["Service"] => {
  const key = makeHmacKey(secret, "boxoffice/queue-token")
  const previousKey = previousSecret === undefined ? undefined : makeHmacKey(previousSecret, "boxoffice/queue-token")
  const invalid = (detail: string) => Effect.fail(new QueueTokenInvalid({ detail }))
  const verified = makeVerifiedTokens<QueueTokenClaims>(Limits.verifiedTokensMax)
  const verifyFully = (token: string): Effect.Effect<QueueTokenClaims, QueueTokenInvalid> => {
    const parts = token.length <= tokenLengthMax ? token.split(".") : []
    if (parts.length !== 3 || parts[0] !== tokenPrefix) return invalid("malformed queue token")
    // Only the canonical encoding: base64url's last character has unused bits.
    const signature = Base64Url.decode(parts[2]!)
    if (signature === undefined) return invalid("malformed queue token")
    const body = `${parts[0]}.${parts[1]}`
    if (!key.verify(body, signature) && previousKey?.verify(body, signature) !== true) {
      return invalid("queue token signature does not match")
    }
    const json = Base64Url.decodeString(parts[1]!)
    const claims = json === undefined ? Result.fail(undefined) : decodeClaims(json)
    // A valid signature over bad claims means the secret itself signed garbage.
    if (Result.isFailure(claims)) return invalid("queue token claims are malformed")
    verified.remember(token, claims.success)
    return Effect.succeed(claims.success)
  }
  return QueueTokenSigner.of({
    sign: (claims) =>
      Effect.sync(() => {
        const body = `${tokenPrefix}.${Base64Url.encode(encodeClaims(claims))}`
        const token = `${body}.${Base64Url.encode(key.sign(body))}`
        verified.remember(token, claims)
        return token
      }),
    verify: (token) =>
      Effect.suspend(() => {
        const known = verified.get(token)
        return known === undefined ? verifyFully(token) : Effect.succeed(known)
      })
  })
}
