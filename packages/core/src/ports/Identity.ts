/**
 * Port: who the caller is. Host apps plug in their own identity here.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, Option, Redacted, Result, Schema } from "effect"
import { Unauthenticated, type Unavailable } from "../Errors.ts"
import { Base64Url } from "../internal/base64url.ts"
import { type HmacKey, keyIdOf, makeHmacKey, requireLongSecret } from "../internal/hmac.ts"
import { uuidV5 } from "../internal/uuidV5.ts"
import { makeVerifiedTokens } from "../VerifiedTokens.ts"
import { Limits } from "../model/Limits.ts"
import { newId, UserId } from "../model/Ids.ts"

const tokenPrefix = "at2"
const tokenLengthMax = 1024
const decodeUserId = Schema.decodeUnknownResult(UserId)
/** Whole seconds since the epoch, as the token carries its expiry: digits, no leading zero. */
const epochSeconds = /^[1-9][0-9]{0,11}$/

/**
 * The namespace of the user ids that `userIdOfSubject` derives from
 * subjects that are not UUIDs (a fixed random UUID of this project).
 *
 * @category identity
 */
export const userIdSubjectNamespace = "e33fa8af-904f-4e0e-a947-ecada5eed3a8"

/**
 * The engine's user id for a host identity's subject (a JWT's `sub`), the
 * same on every instance and in every version. A subject that is a UUID
 * (any case; versions 1 to 8, nil or max, as `UserId` accepts) is that UUID
 * in lower case, so a host whose users have UUIDs sees its own ids in the
 * engine. Any other subject is the version-5 UUID (name-based, SHA-1, RFC
 * 9562) of its UTF-8 text under `userIdSubjectNamespace`.
 *
 * @example
 * ```ts
 * import { userIdOfSubject } from "@boxoffice/core"
 * userIdOfSubject("6F9619FF-8B86-4011-B42D-00C04FC964FF") // "6f9619ff-8b86-4011-b42d-00c04fc964ff"
 * userIdOfSubject("auth0|5f7c8ec7c33c6c004bbafe82") // a version-5 UUID, always the same one
 * ```
 * @category identity
 */
export const userIdOfSubject = (subject: string): UserId => {
  const asUuid = decodeUserId(subject)
  return Result.isSuccess(asUuid) ? asUuid.success : (uuidV5(userIdSubjectNamespace, subject) as UserId)
}

/** A new account of an identity that issues its own tokens. @category identity */
export interface NewAccount {
  readonly userId: UserId
  readonly accessToken: Redacted.Redacted<string>
}

/** Options of the demo identity. @category identity */
export interface HmacIdentityOptions {
  /** How long an issued access token is valid, in whole seconds. Default 86,400 (24 h). */
  readonly lifetimeSeconds?: number
  /**
   * The secret before the last rotation: tokens it signed still verify until
   * they expire, while new tokens are signed with `secret`.
   */
  readonly previousSecret?: Redacted.Redacted<string>
}

/**
 * Turns an access token into a user id. An identity that issues its own
 * tokens (the demo identity) also registers accounts; a host's identity,
 * whose provider issues the tokens, has no `register` (`Option.none()`).
 * `authenticate` fails with `Unauthenticated` for a token that fails a
 * check, and with `Unavailable` when the identity itself cannot judge (its
 * key source is unreachable): that is the server's outage, not the user's.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Identity } from "@boxoffice/core"
 * const program = Effect.gen(function*() {
 *   const identity = yield* Identity
 *   const register = yield* Effect.fromOption(identity.register)
 *   const { userId, accessToken } = yield* register
 *   return (yield* identity.authenticate(accessToken)) === userId // true
 * }).pipe(Effect.provide(Identity.layerHmac(Redacted.make("a random secret of at least 32 bytes"))))
 * ```
 * @category ports
 */
export class Identity extends Context.Service<
  Identity,
  {
    /** Issues a new account and its token; `None` when accounts come from the host's identity provider. */
    readonly register: Option.Option<Effect.Effect<NewAccount>>
    readonly authenticate: (
      accessToken: Redacted.Redacted<string>
    ) => Effect.Effect<UserId, Unauthenticated | Unavailable>
  }
>()("@boxoffice/core/Identity") {
  /**
   * The demo identity: `at2.<keyId>.<userId>.<expiresAt>.<HMAC-SHA256>`,
   * stateless and shared by the instances that share the secret. The key id
   * (8 characters of an HMAC of a fixed label) names the secret that signed,
   * and `expiresAt` (whole seconds since the epoch, by Effect's `Clock`) ends
   * the token. With `previousSecret`, tokens of the secret before a rotation
   * still verify until they expire. A secret under 32 bytes is a defect.
   */
  static readonly layerHmac = (
    secret: Redacted.Redacted<string>,
    options: HmacIdentityOptions = {}
  ): Layer.Layer<Identity> =>
    Layer.effect(
      Identity,
      Effect.gen(function* () {
        yield* requireLongSecret(secret, "Identity.layerHmac's secret")
        if (options.previousSecret !== undefined) {
          yield* requireLongSecret(options.previousSecret, "Identity.layerHmac's previousSecret")
        }
        const lifetimeSeconds = options.lifetimeSeconds ?? Limits.accessTokenLifetimeSecondsDefault
        if (!Number.isSafeInteger(lifetimeSeconds) || lifetimeSeconds < 1) {
          return yield* Effect.die(new Error("Identity.layerHmac's lifetimeSeconds must be a positive integer"))
        }
        const keyOf = (s: Redacted.Redacted<string>) => ({
          id: keyIdOf(s),
          key: makeHmacKey(s, "boxoffice/access-token")
        })
        const current = keyOf(secret)
        const keys: ReadonlyArray<{ readonly id: string; readonly key: HmacKey }> =
          options.previousSecret === undefined ? [current] : [current, keyOf(options.previousSecret)]
        const refuse = (detail: string) => Effect.fail(new Unauthenticated({ detail }))
        const verified = makeVerifiedTokens<{ readonly userId: UserId; readonly expiresAtMs: number }>(
          Limits.verifiedTokensMax
        )
        const verifyFully = (token: string, nowMs: number): Effect.Effect<UserId, Unauthenticated> => {
          const parts = token.length <= tokenLengthMax ? token.split(".") : []
          if (parts[0] === "at1" && parts.length === 3) {
            return refuse("access token of a retired format (no expiry): register again")
          }
          if (parts.length !== 5 || parts[0] !== tokenPrefix) return refuse("access token is missing or malformed")
          const key = keys.find((k) => k.id === parts[1])?.key
          if (key === undefined) return refuse("access token was signed with a key this server does not hold")
          // Only the canonical encoding: base64url's last character has unused bits.
          const signature = Base64Url.decode(parts[4]!)
          if (signature === undefined || !key.verify(parts.slice(0, 4).join("."), signature)) {
            return refuse("access token signature does not match")
          }
          const userId = decodeUserId(parts[2])
          if (Result.isFailure(userId) || !epochSeconds.test(parts[3]!)) return refuse("access token is malformed")
          const expiresAtMs = Number(parts[3]) * 1000
          if (nowMs >= expiresAtMs) return refuse("access token expired")
          verified.remember(token, { userId: userId.success, expiresAtMs })
          return Effect.succeed(userId.success)
        }
        return Identity.of({
          register: Option.some(
            Effect.gen(function* () {
              const userId = yield* newId(UserId)
              const nowMs = yield* Clock.currentTimeMillis
              const expiresAtMs = (Math.floor(nowMs / 1000) + lifetimeSeconds) * 1000
              const body = `${tokenPrefix}.${current.id}.${userId}.${expiresAtMs / 1000}`
              const token = `${body}.${Base64Url.encode(current.key.sign(body))}`
              verified.remember(token, { userId, expiresAtMs })
              return { userId, accessToken: Redacted.make(token) }
            })
          ),
          // A token seen before answers from the cache until it expires: this runs on every request.
          authenticate: (accessToken) =>
            Effect.clockWith((clock) => {
              const token = Redacted.value(accessToken)
              const nowMs = clock.currentTimeMillisUnsafe()
              const known = verified.get(token)
              return known !== undefined && nowMs < known.expiresAtMs
                ? Effect.succeed(known.userId)
                : verifyFully(token, nowMs)
            })
        })
      })
    )
}
