/**
 * HMAC-SHA256. Under Node (and Bun, Deno) it is `node:crypto`'s synchronous
 * HMAC, found through `process.getBuiltinModule` so that core imports no
 * Node module; elsewhere it is Web Crypto. Web Crypto answers through a
 * thread-pool job and a promise per call, about a tenth of a join storm's
 * time; the synchronous HMAC costs a few microseconds. Both compare
 * signatures in constant time.
 */
import { Effect, Redacted } from "effect"

const encoder = new TextEncoder()

/** A signing key bound to one purpose, so a queue token can never pass as an access token. */
export interface HmacKey {
  readonly sign: (message: string) => Effect.Effect<Uint8Array>
  readonly verify: (message: string, signature: Uint8Array) => Effect.Effect<boolean>
}

interface NodeCrypto {
  readonly createSecretKey: (key: Uint8Array) => unknown
  readonly createHmac: (algorithm: "sha256", key: unknown) => {
    update: (data: string, encoding: "utf8") => { digest: () => Uint8Array }
  }
  readonly timingSafeEqual: (a: Uint8Array, b: Uint8Array) => boolean
}

const nodeCrypto = (): NodeCrypto | undefined => {
  const process = (globalThis as { readonly process?: { readonly getBuiltinModule?: (id: string) => unknown } }).process
  return process?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined
}

const keyBytes = (secret: Redacted.Redacted<string>, purpose: string) =>
  encoder.encode(`${purpose}\u0000${Redacted.value(secret)}`)

const makeSyncKey = (crypto: NodeCrypto, key: Uint8Array): HmacKey => {
  // A key object made once: raw key bytes are imported again on every createHmac.
  const keyObject = crypto.createSecretKey(key)
  const mac = (message: string) => crypto.createHmac("sha256", keyObject).update(message, "utf8").digest()
  return {
    sign: (message) => Effect.sync(() => new Uint8Array(mac(message))),
    verify: (message, signature) =>
      Effect.sync(() => {
        const expected = mac(message)
        return signature.length === expected.length && crypto.timingSafeEqual(expected, signature)
      })
  }
}

const makeWebKey = (key: Uint8Array): Effect.Effect<HmacKey> =>
  Effect.map(
    Effect.promise(() =>
      globalThis.crypto.subtle.importKey("raw", new Uint8Array(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])
    ),
    (cryptoKey): HmacKey => ({
      sign: (message) =>
        Effect.promise(async () => new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(message)))),
      verify: (message, signature) =>
        Effect.promise(() =>
          globalThis.crypto.subtle.verify("HMAC", cryptoKey, new Uint8Array(signature), encoder.encode(message))
        )
    })
  )

export const makeHmacKey = (secret: Redacted.Redacted<string>, purpose: string): Effect.Effect<HmacKey> =>
  Effect.suspend(() => {
    const crypto = nodeCrypto()
    const key = keyBytes(secret, purpose)
    return crypto === undefined ? makeWebKey(key) : Effect.succeed(makeSyncKey(crypto, key))
  })
