/**
 * The host's identity provider, from the environment (docs/running.md, "A host's identity provider"):
 * the key source of `JwtIdentity` and what its tokens must say.
 */
import type { JwtIdentityOptions, JwtKeySource, JwtPublicKey } from "@boxoffice/http"
import { Config, Effect, Option, Schema } from "effect"

/** `JwtIdentity.layer`'s arguments. */
export interface JwtConfig {
  readonly source: JwtKeySource
  readonly options: JwtIdentityOptions
}

/** A JWT configuration that cannot work; the server says it at start. */
export class JwtConfigError extends Schema.TaggedError<JwtConfigError>()("JwtConfigError", {
  message: Schema.String
}) {}

const decodeJwk = Schema.decodeUnknownOption(
  Schema.fromJsonString(
    Schema.Record(Schema.String, Schema.Unknown).check(Schema.makeFilter((jwk) => typeof jwk["kty"] === "string"))
  )
)

/** A JWK's JSON, or PEM text whose line breaks may be written `\n` (as one-line variables often carry them). */
const publicKeyOf = (text: string): Effect.Effect<JwtPublicKey, JwtConfigError> => {
  if (!text.trimStart().startsWith("{")) return Effect.succeed(text.replaceAll("\\n", "\n"))
  return Option.match(decodeJwk(text), {
    onNone: () => Effect.fail(new JwtConfigError({ message: "BOXOFFICE_JWT_PUBLIC_KEY is not a JWK's JSON" })),
    onSome: (jwk) => Effect.succeed(jwk as Exclude<JwtPublicKey, string>)
  })
}

/**
 * `BOXOFFICE_JWT_JWKS_URL` or `BOXOFFICE_JWT_PUBLIC_KEY` (PEM, `\n` for its line breaks allowed, or a JWK's
 * JSON), with `BOXOFFICE_JWT_ISSUER` and `BOXOFFICE_JWT_AUDIENCE`; none of them: the demo identity. Half a
 * configuration is refused, since it would silently leave the demo identity issuing accounts.
 */
export const jwtConfig: Effect.Effect<Option.Option<JwtConfig>, Config.ConfigError | JwtConfigError> = Effect.gen(
  function* () {
    const jwksUrl = yield* Config.String("BOXOFFICE_JWT_JWKS_URL").pipe(Config.option)
    const publicKey = yield* Config.String("BOXOFFICE_JWT_PUBLIC_KEY").pipe(Config.option)
    const issuer = yield* Config.String("BOXOFFICE_JWT_ISSUER").pipe(Config.option)
    const audience = yield* Config.String("BOXOFFICE_JWT_AUDIENCE").pipe(Config.option)
    if (Option.isSome(jwksUrl) && Option.isSome(publicKey)) {
      return yield* new JwtConfigError({
        message: "set BOXOFFICE_JWT_JWKS_URL or BOXOFFICE_JWT_PUBLIC_KEY, not both"
      })
    }
    if (Option.isNone(jwksUrl) && Option.isNone(publicKey)) {
      if (Option.isSome(issuer) || Option.isSome(audience)) {
        return yield* new JwtConfigError({
          message:
            "BOXOFFICE_JWT_ISSUER and BOXOFFICE_JWT_AUDIENCE need BOXOFFICE_JWT_JWKS_URL or BOXOFFICE_JWT_PUBLIC_KEY"
        })
      }
      return Option.none()
    }
    if (Option.isNone(issuer) || Option.isNone(audience)) {
      return yield* new JwtConfigError({
        message: "a JWT identity needs BOXOFFICE_JWT_ISSUER and BOXOFFICE_JWT_AUDIENCE"
      })
    }
    if (Option.isSome(jwksUrl) && !["http:", "https:"].includes(URL.parse(jwksUrl.value)?.protocol ?? "")) {
      return yield* new JwtConfigError({ message: "BOXOFFICE_JWT_JWKS_URL must be an http(s) URL" })
    }
    const source: JwtKeySource = Option.isSome(jwksUrl)
      ? { jwksUrl: jwksUrl.value }
      : { publicKey: yield* publicKeyOf(Option.getOrThrow(publicKey)) }
    return Option.some({ source, options: { issuer: issuer.value, audience: audience.value } })
  }
)
