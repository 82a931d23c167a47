/**
 * Port: who the caller is. Host apps plug in their own identity here.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Redacted, Result, Schema } from "effect"
import { Unauthenticated } from "../Errors.ts"
import { Base64Url } from "../internal/base64url.ts"
import { makeHmacKey } from "../internal/hmac.ts"
import { makeVerifiedTokens } from "../internal/VerifiedTokens.ts"
import { Limits } from "../model/Limits.ts"
import { newId, UserId } from "../model/Ids.ts"

const tokenPrefix = "at1"
const tokenLengthMax = 1024
const decodeUserId = Schema.decodeUnknownResult(UserId)

/**
 * Turns an access token into a user id. The demo implementation also issues
 * tokens; a host app's implementation may not (`register` then dies).
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Identity } from "@boxoffice/core"
 * const program = Effect.gen(function*() {
 *   const identity = yield* Identity
 *   const { userId, accessToken } = yield* identity.register
 *   return (yield* identity.authenticate(accessToken)) === userId // true
 * }).pipe(Effect.provide(Identity.layerHmac(Redacted.make("a long random secret"))))
 * ```
 * @category ports
 */
export class Identity extends Context.Service<
  Identity,
  {
    readonly register: Effect.Effect<{ readonly userId: UserId; readonly accessToken: Redacted.Redacted<string> }>
    readonly authenticate: (accessToken: Redacted.Redacted<string>) => Effect.Effect<UserId, Unauthenticated>
  }
>()("@boxoffice/core/Identity") {
  /** Demo identity: `at1.<userId>.<HMAC-SHA256 signature>`, stateless and shared by instances with the secret. */
  static readonly layerHmac = (secret: Redacted.Redacted<string>): Layer.Layer<Identity> =>
    Layer.sync(Identity, () => {
      const key = makeHmacKey(secret, "boxoffice/access-token")
      const invalid = Effect.fail(new Unauthenticated({ detail: "access token is missing, malformed or forged" }))
      const verified = makeVerifiedTokens<UserId>(Limits.verifiedTokensMax)
      const verifyFully = (token: string): Effect.Effect<UserId, Unauthenticated> => {
        const parts = token.length <= tokenLengthMax ? token.split(".") : []
        if (parts.length !== 3 || parts[0] !== tokenPrefix) return invalid
        // Only the canonical encoding: base64url's last character has unused bits.
        const signature = Base64Url.decode(parts[2]!)
        if (signature === undefined || !key.verify(`${parts[0]}.${parts[1]}`, signature)) return invalid
        const userId = decodeUserId(parts[1])
        if (Result.isFailure(userId)) return invalid
        verified.remember(token, userId.success)
        return Effect.succeed(userId.success)
      }
      return Identity.of({
        register: Effect.map(newId(UserId), (userId) => {
          const body = `${tokenPrefix}.${userId}`
          const token = `${body}.${Base64Url.encode(key.sign(body))}`
          verified.remember(token, userId)
          return { userId, accessToken: Redacted.make(token) }
        }),
        // A token seen before answers from the cache: this runs on every request.
        authenticate: (accessToken) => {
          const token = Redacted.value(accessToken)
          const known = verified.get(token)
          return known !== undefined ? Effect.succeed(known) : verifyFully(token)
        }
      })
    })
}
