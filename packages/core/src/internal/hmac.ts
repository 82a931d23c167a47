/**
 * HMAC-SHA256 keys for the tokens, from `@noble/hashes`: audited, pure and
 * synchronous on every runtime, so a token is signed and verified without a
 * promise and identically everywhere. The key's padded state is made once
 * and cloned per message, so each signature costs its message alone.
 */
import { hmac } from "@noble/hashes/hmac.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { Effect, Redacted } from "effect"
import { Limits } from "../model/Limits.ts"
import { Base64Url } from "./base64url.ts"

const encoder = new TextEncoder()

/** A signing key bound to one purpose, so a queue token can never pass as an access token. */
export interface HmacKey {
  readonly sign: (message: string) => Uint8Array
  readonly verify: (message: string, signature: Uint8Array) => boolean
}

/** Whether two signatures are equal, in a time that depends only on their lengths. */
const equalInConstantTime = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

/**
 * The key for one purpose: HMAC-SHA256 keyed by `purpose`, a zero byte and
 * the secret, as every earlier version signed.
 */
export const makeHmacKey = (secret: Redacted.Redacted<string>, purpose: string): HmacKey => {
  const keyed = hmac.create(sha256, encoder.encode(`${purpose}\u0000${Redacted.value(secret)}`))
  const sign = (message: string) => keyed.clone().update(encoder.encode(message)).digest()
  return { sign, verify: (message, signature) => equalInConstantTime(sign(message), signature) }
}

/**
 * A secret of at least `Limits.secretBytesMin` UTF-8 bytes, or a defect
 * naming `what` (a short secret is a programmer's error, and a guessable key).
 */
export const requireLongSecret = (secret: Redacted.Redacted<string>, what: string): Effect.Effect<void> =>
  encoder.encode(Redacted.value(secret)).length >= Limits.secretBytesMin
    ? Effect.void
    : Effect.die(new Error(`${what} must be at least ${Limits.secretBytesMin} bytes (UTF-8)`))

/**
 * The id of a secret's keys: 8 base64url characters (48 bits) of an HMAC of
 * a fixed label, so a token can name the secret that signed it without
 * revealing anything of it.
 */
export const keyIdOf = (secret: Redacted.Redacted<string>): string =>
  Base64Url.encode(makeHmacKey(secret, "boxoffice/key-id").sign("key id").subarray(0, 6))
