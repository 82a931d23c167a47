/**
 * HMAC-SHA256 over Web Crypto, which every runtime has; core imports no
 * Node module. `crypto.subtle.verify` compares in constant time.
 */
import { Effect, Redacted } from "effect"

const encoder = new TextEncoder()

/** A signing key bound to one purpose, so a queue token can never pass as an access token. */
export interface HmacKey {
  readonly sign: (message: string) => Effect.Effect<Uint8Array>
  readonly verify: (message: string, signature: Uint8Array) => Effect.Effect<boolean>
}

export const makeHmacKey = (secret: Redacted.Redacted<string>, purpose: string): Effect.Effect<HmacKey> =>
  Effect.map(
    Effect.promise(() =>
      globalThis.crypto.subtle.importKey(
        "raw",
        encoder.encode(`${purpose}\u0000${Redacted.value(secret)}`),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign", "verify"]
      )
    ),
    (key): HmacKey => ({
      sign: (message) =>
        Effect.promise(async () => new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", key, encoder.encode(message)))),
      verify: (message, signature) =>
        Effect.promise(() =>
          globalThis.crypto.subtle.verify("HMAC", key, new Uint8Array(signature), encoder.encode(message))
        )
    })
  )
