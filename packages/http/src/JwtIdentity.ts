/**
 * A host's identity: the engine's `Identity` over the JWT access tokens of
 * the host's own identity provider, verified with `jose` (decision 70).
 *
 * @since 0.2.0
 */
import {
  Identity,
  Limits,
  makeVerifiedTokens,
  Unauthenticated,
  Unavailable,
  type UserId,
  userIdOfSubject
} from "@boxoffice/core"
import { Effect, Layer, Option, Redacted } from "effect"
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type CryptoKey,
  errors,
  importJWK,
  importSPKI,
  type JWK,
  type JWSAlgorithm,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify
} from "jose"

/**
 * Where the provider's public keys come from: its JWKS endpoint (fetched
 * when first needed, cached, and fetched again when a token names an
 * unknown `kid`, at most once per cooldown), or one public key, as PEM
 * (SPKI, `-----BEGIN PUBLIC KEY-----`) or as a JWK.
 *
 * @category identity
 */
export type JwtKeySource = { readonly jwksUrl: string | URL } | { readonly publicKey: JwtPublicKey }

/** A public key as PEM text (SPKI, `-----BEGIN PUBLIC KEY-----`) or as a JWK. @category identity */
export type JwtPublicKey = string | JWK

/** What a token must say, and how much clock skew is forgiven. @category identity */
export interface JwtIdentityOptions {
  /** The expected `iss`: the provider's issuer identifier, exactly. */
  readonly issuer: string
  /** The expected `aud` (one of the token's audiences): the identifier this server has at the provider. */
  readonly audience: string
  /** Skew forgiven when judging `exp` and `nbf`, in seconds. Default 30. */
  readonly clockToleranceSeconds?: number
  /** The least time between two fetches of the JWKS for an unknown `kid`, in seconds. Default 30. */
  readonly jwksCooldownSeconds?: number
  /** How long a fetched JWKS is used before it is fetched again, in seconds. Default 600. */
  readonly jwksMaxAgeSeconds?: number
}

/**
 * Only asymmetric signatures: a token is accepted only if the provider's
 * private key signed it. `none` and HMAC are refused before any key is
 * looked at, so a token signed with HS256 using the public key as the
 * secret cannot pass.
 */
const algorithms: ReadonlyArray<JWSAlgorithm> = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519"
]

/** The longest `sub`, in characters (Unicode code points). */
const subjectLengthMax = Limits.subjectLengthMax
/** A longer header value is no access token; it is refused before it is parsed. */
const tokenLengthMax = 8_192
/** How many verified tokens an instance remembers: a JWT is larger than a demo token, so fewer (about 1 KB each). */
const verifiedTokensMax = 50_000
/** At most one warning about an unreachable key source per this many milliseconds. */
const warningIntervalMs = 10_000

/** The key source could not be read (network, timeout, a non-200 answer, a malformed key set). */
class KeySourceFailure extends Error {}
/** The token's `alg` is allowed, but the configured public key is not of that algorithm. */
class KeyDoesNotFit extends Error {}

/** The detail of a refused token: which check failed, never the token. */
const refusalOf = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) return "the access token expired (exp)"
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === "missing") return `the access token has no "${error.claim}" claim`
    switch (error.claim) {
      case "iss":
        return "the access token's issuer (iss) is not the configured identity provider"
      case "aud":
        return "the access token's audience (aud) does not include this server"
      case "nbf":
        return "the access token is not valid yet (nbf)"
      default:
        return `the access token's "${error.claim}" claim is invalid`
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return "the access token's algorithm is not accepted (asymmetric signatures only)"
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the access token's signature does not verify"
  if (error instanceof errors.JWKSNoMatchingKey) return "no key of the identity provider matches the access token (kid)"
  if (error instanceof KeyDoesNotFit) return "the access token's algorithm does not fit the configured public key"
  return "the access token is not a well-formed signed JWT"
}

/** jose answers several matching keys by an error that it then iterates: such an error passes through. */
const isKeyLookup = (error: unknown) =>
  error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys

/**
 * The JWKS, whose failures to be read are told apart from a token that
 * names no key of it. When a refresh fails, the keys already fetched still
 * verify the tokens they can (stale if error); a token they cannot verify
 * is then the outage's, not the user's.
 */
const remoteKeys = (url: URL, cooldownSeconds: number, maxAgeSeconds: number): JWTVerifyGetKey => {
  const jwks = createRemoteJWKSet(url, { cooldownDuration: cooldownSeconds * 1000, cacheMaxAge: maxAgeSeconds * 1000 })
  return (header, token) =>
    jwks(header, token).catch((error: unknown) => {
      if (isKeyLookup(error)) throw error
      const failure = new KeySourceFailure(error instanceof Error ? error.message : String(error), { cause: error })
      const fetched = jwks.jwks()
      if (fetched === undefined) throw failure
      return createLocalJWKSet(fetched)(header, token).catch((staleError: unknown) => {
        throw staleError instanceof errors.JWKSMultipleMatchingKeys ? staleError : failure
      })
    })
}

/** One public key, imported at start for every algorithm it can verify (a JWK's own `alg` only, if it has one). */
const staticKey = (publicKey: JwtPublicKey) =>
  Effect.gen(function* () {
    const jwk = typeof publicKey === "string" ? undefined : { ...publicKey }
    const candidates = jwk?.alg === undefined ? algorithms : algorithms.filter((alg) => alg === jwk.alg)
    const imported = yield* Effect.promise(() =>
      Promise.allSettled(
        candidates.map((alg) =>
          (jwk === undefined ? importSPKI(publicKey as string, alg) : importJWK(jwk, alg)).then((key) => {
            if (!(key instanceof Uint8Array) && key.type === "public") return [alg, key] as const
            throw new Error("not a public key")
          })
        )
      )
    )
    const keys = new Map<string, CryptoKey>(
      imported.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []))
    )
    if (keys.size === 0) {
      return yield* Effect.die(
        new Error(
          "JwtIdentity: publicKey is neither a PEM public key (SPKI) nor a public JWK of an asymmetric algorithm"
        )
      )
    }
    const getKey: JWTVerifyGetKey = (header) => {
      const key = keys.get(header.alg)
      return key === undefined ? Promise.reject(new KeyDoesNotFit()) : Promise.resolve(key)
    }
    return getKey
  })

/**
 * The `Identity` of a host whose users sign in with its own identity
 * provider (OpenID Connect, OAuth 2): a bearer token is the provider's JWT
 * access token. It is accepted only if an asymmetric key of the provider
 * signed it and its `iss`, `aud`, `exp` (required) and `nbf` hold, within
 * `clockToleranceSeconds`, by Effect's `Clock`. Its `sub` (1 to 255
 * characters) names the user, mapped to the engine's user id by
 * `userIdOfSubject` (a UUID stays itself). A refused token is
 * `Unauthenticated`, saying which check failed; a key source that cannot be
 * read is `Unavailable` (503: the outage is ours, not the user's). A
 * verified token is remembered until its `exp`. There is no `register`:
 * the provider issues the accounts.
 *
 * A configuration that cannot work (an empty issuer or audience, a public
 * key that is not one) is a defect when the layer is built.
 *
 * @example
 * ```ts
 * import { Booking, QueueTokenSigner } from "@boxoffice/core"
 * import { JwtIdentity } from "@boxoffice/http"
 * import { MemoryStores } from "@boxoffice/memory"
 * import { Layer, Redacted } from "effect"
 * const engine = Booking.layer.pipe(
 *   Layer.provideMerge(
 *     Layer.mergeAll(
 *       MemoryStores.layer,
 *       QueueTokenSigner.layerHmac(Redacted.make(process.env["BOXOFFICE_SECRET"]!)),
 *       JwtIdentity.layer(
 *         { jwksUrl: "https://login.example.com/.well-known/jwks.json" },
 *         { issuer: "https://login.example.com/", audience: "https://tickets.example.com" }
 *       )
 *     )
 *   )
 * )
 * ```
 * @category identity
 */
export const JwtIdentity = {
  layer: (source: JwtKeySource, options: JwtIdentityOptions): Layer.Layer<Identity> =>
    Layer.effect(
      Identity,
      Effect.gen(function* () {
        const clockTolerance = options.clockToleranceSeconds ?? 30
        const cooldownSeconds = options.jwksCooldownSeconds ?? 30
        if (options.issuer === "" || options.audience === "") {
          return yield* Effect.die(new Error("JwtIdentity: issuer and audience must not be empty"))
        }
        if (!(clockTolerance >= 0) || !(cooldownSeconds >= 0) || !((options.jwksMaxAgeSeconds ?? 0) >= 0)) {
          return yield* Effect.die(new Error("JwtIdentity: clockToleranceSeconds and the JWKS durations must be ≥ 0"))
        }
        const getKey =
          "jwksUrl" in source
            ? remoteKeys(
                yield* Effect.try({
                  try: () => new URL(source.jwksUrl),
                  catch: () => new Error("JwtIdentity: jwksUrl is not a URL")
                }).pipe(Effect.orDie),
                cooldownSeconds,
                options.jwksMaxAgeSeconds ?? 600
              )
            : yield* staticKey(source.publicKey)
        const verified = makeVerifiedTokens<{ readonly userId: UserId; readonly untilMs: number }>(verifiedTokensMax)
        let lastWarningMs = Number.NEGATIVE_INFINITY

        const unavailable = (cause: KeySourceFailure, nowMs: number) => {
          const error = new Unavailable({ store: "identity", cause })
          if (nowMs - lastWarningMs < warningIntervalMs) return Effect.fail(error)
          lastWarningMs = nowMs
          return Effect.andThen(
            Effect.logWarning(`the identity provider's keys cannot be read: ${cause.message}`),
            Effect.fail(error)
          )
        }

        const verifyFully = (token: string, nowMs: number): Effect.Effect<UserId, Unauthenticated | Unavailable> =>
          Effect.tryPromise({
            try: () =>
              jwtVerify<JWTPayload>(token, getKey, {
                issuer: options.issuer,
                audience: options.audience,
                algorithms: [...algorithms],
                clockTolerance,
                currentDate: new Date(nowMs),
                requiredClaims: ["exp", "sub"]
              }),
            catch: (error) => error
          }).pipe(
            Effect.catch(
              (error): Effect.Effect<never, Unauthenticated | Unavailable> =>
                error instanceof KeySourceFailure
                  ? unavailable(error, nowMs)
                  : Effect.fail(new Unauthenticated({ detail: refusalOf(error) }))
            ),
            Effect.flatMap(({ payload }) => {
              const subject = payload.sub
              if (typeof subject !== "string" || subject === "" || [...subject].length > subjectLengthMax) {
                return Effect.fail(
                  new Unauthenticated({
                    detail: `the access token's subject (sub) is not 1 to ${subjectLengthMax} characters`
                  })
                )
              }
              const userId = userIdOfSubject(subject)
              // Remembered until its exp, which is required, and a number (jose checked).
              verified.remember(token, { userId, untilMs: (payload.exp as number) * 1000 })
              return Effect.succeed(userId)
            })
          )

        const authenticate = (accessToken: Redacted.Redacted<string>) =>
          Effect.clockWith((clock) => {
            const token = Redacted.value(accessToken)
            const nowMs = clock.currentTimeMillisUnsafe()
            const known = verified.get(token)
            if (known !== undefined && nowMs < known.untilMs) return Effect.succeed(known.userId)
            if (token.length > tokenLengthMax) {
              return Effect.fail(new Unauthenticated({ detail: "the access token is too long" }))
            }
            return verifyFully(token, nowMs)
          })

        return Identity.of({ register: Option.none(), authenticate })
      })
    )
}
