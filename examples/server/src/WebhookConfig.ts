/**
 * The webhook, from the environment (docs/webhooks.md): where the server
 * POSTs the store's events, and the key that signs them. Both or neither:
 * half a configuration is refused at start, since it would leave events
 * unsent (or sent unsigned) without a word.
 */
import { Config, Effect, Option, Redacted, Result, Schema } from "effect"
import { Base64 } from "effect/encoding"
import type { WebhookTuning } from "./WebhookDelivery.ts"

/** Where and how the server delivers its events. */
export interface WebhookConfig {
  /** `BOXOFFICE_WEBHOOK_URL`, http(s). Redacted: a receiver's URL may carry a token of its own. */
  readonly url: Redacted.Redacted<string>
  /** The HMAC-SHA256 key of the signatures, from `BOXOFFICE_WEBHOOK_SECRET` (see `webhookKeyOf`). */
  readonly key: Redacted.Redacted<Uint8Array>
  /** Timings other than the defaults (`webhookTuning`). Not read from the environment: for tests. */
  readonly tuning?: Partial<WebhookTuning>
}

/** A webhook configuration that cannot work; the server says it at start. */
export class WebhookConfigError extends Schema.TaggedError<WebhookConfigError>()("WebhookConfigError", {
  message: Schema.String
}) {}

/** The shortest signing key accepted: 32 bytes, HMAC-SHA256's output size, as for `BOXOFFICE_SECRET`. */
export const webhookKeyBytesMin = 32

/** The prefix of a Standard Webhooks secret: base64 of the key follows. */
export const standardSecretPrefix = "whsec_"

/**
 * The signing key a secret names. `whsec_<base64>` (the Standard Webhooks form, as receivers' libraries take
 * it) is the base64's bytes; any other text is its own UTF-8 bytes, which a receiver passes to
 * `new Webhook("whsec_" + base64(secret))`. Either way at least `webhookKeyBytesMin` bytes.
 *
 * @example
 * ```ts
 * webhookKeyOf("whsec_" + Buffer.alloc(32, 7).toString("base64")) // Result.succeed(32 bytes of 7)
 * webhookKeyOf("a passphrase of thirty-two bytes or more") // its UTF-8 bytes
 * ```
 */
export const webhookKeyOf = (secret: string): Result.Result<Uint8Array, string> => {
  const key = secret.startsWith(standardSecretPrefix)
    ? Result.mapError(
        Base64.decode(secret.slice(standardSecretPrefix.length)),
        () => `BOXOFFICE_WEBHOOK_SECRET starts with ${standardSecretPrefix} but the rest is not base64`
      )
    : Result.succeed(new TextEncoder().encode(secret))
  return Result.flatMap(key, (bytes) =>
    bytes.length >= webhookKeyBytesMin
      ? Result.succeed(bytes)
      : Result.fail(
          `BOXOFFICE_WEBHOOK_SECRET must be at least ${webhookKeyBytesMin} bytes (after ${standardSecretPrefix}, of the decoded base64)`
        )
  )
}

/**
 * `BOXOFFICE_WEBHOOK_URL` with `BOXOFFICE_WEBHOOK_SECRET`: the webhook; neither: none. Refused: one without
 * the other, an empty one, a URL that is not http(s) or carries a user or password (fetch refuses those), a
 * short or malformed secret.
 */
export const webhookConfig: Effect.Effect<
  Option.Option<WebhookConfig>,
  Config.ConfigError | WebhookConfigError
> = Effect.gen(function* () {
  // Effect's config reads an empty variable as unset; an empty one is a mistake to name, not to ignore.
  for (const name of ["BOXOFFICE_WEBHOOK_URL", "BOXOFFICE_WEBHOOK_SECRET"]) {
    if (process.env[name] === "") {
      return yield* new WebhookConfigError({ message: `${name} is empty: set it, or unset it` })
    }
  }
  const url = yield* Config.Redacted("BOXOFFICE_WEBHOOK_URL").pipe(Config.option)
  const secret = yield* Config.Redacted("BOXOFFICE_WEBHOOK_SECRET").pipe(Config.option)
  if (Option.isNone(url) && Option.isNone(secret)) return Option.none()
  if (Option.isNone(secret)) {
    return yield* new WebhookConfigError({
      message: `BOXOFFICE_WEBHOOK_URL needs BOXOFFICE_WEBHOOK_SECRET (at least ${webhookKeyBytesMin} bytes) to sign with`
    })
  }
  if (Option.isNone(url)) {
    return yield* new WebhookConfigError({ message: "BOXOFFICE_WEBHOOK_SECRET needs BOXOFFICE_WEBHOOK_URL" })
  }
  const parsed = URL.parse(Redacted.value(url.value))
  if (parsed === null || !["http:", "https:"].includes(parsed.protocol)) {
    return yield* new WebhookConfigError({ message: "BOXOFFICE_WEBHOOK_URL must be an http(s) URL" })
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return yield* new WebhookConfigError({
      message: "BOXOFFICE_WEBHOOK_URL must not carry a user or password: the signature authenticates the sender"
    })
  }
  const key = webhookKeyOf(Redacted.value(secret.value))
  if (Result.isFailure(key)) return yield* new WebhookConfigError({ message: key.failure })
  return Option.some({ url: url.value, key: Redacted.make(key.success) })
})

/** The origin of the webhook's URL (scheme, host, port): what the logs may name of it. */
export const webhookOrigin = (config: WebhookConfig): string => new URL(Redacted.value(config.url)).origin
