/**
 * HMAC-SHA256 (RFC 2104) on `Sha256.ts`, synchronous on every runtime. The
 * two padded keys are absorbed once per key, so a signature costs the
 * message's blocks and one more. Node's `createHmac` spent more than twice as
 * long per call, most of it making the HMAC object and its OpenSSL context
 * (decision 66); Web Crypto answers through a thread-pool job and a promise.
 * Signatures are compared in constant time.
 */
import { Redacted } from "effect"
import { absorbBlock, blockBytes, digestBytes, finish, freshState, sha256, type Sha256State, writeDigest } from "./Sha256.ts"

const encoder = new TextEncoder()

/** A signing key bound to one purpose, so a queue token can never pass as an access token. */
export interface HmacKey {
  readonly sign: (message: string) => Uint8Array
  readonly verify: (message: string, signature: Uint8Array) => boolean
}

/** The message's UTF-8 bytes, then room for the padding; grown when a longer message comes. */
let scratch = new Uint8Array(1_024)
const innerDigest = freshState()
const outerDigest = freshState()

const mac = (innerStart: Sha256State, outerStart: Sha256State, message: string): Uint8Array => {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const room = message.length * 3 + 72
  if (scratch.length < room) scratch = new Uint8Array(room)
  const { written } = encoder.encodeInto(message, scratch)
  finish(innerStart, blockBytes, scratch, written, innerDigest)
  writeDigest(innerDigest, scratch, 0)
  finish(outerStart, blockBytes, scratch, digestBytes, outerDigest)
  const signature = new Uint8Array(digestBytes)
  writeDigest(outerDigest, signature, 0)
  return signature
}

/** The state after one block of the key, padded with zeros, XORed with `pad`. */
const padState = (key: Uint8Array, pad: number): Sha256State => {
  const block = new Uint8Array(blockBytes)
  for (let i = 0; i < blockBytes; i++) block[i] = (key[i] ?? 0) ^ pad
  const state = freshState()
  absorbBlock(state, block, 0)
  return state
}

/** Whether two signatures are equal, in a time that depends only on their lengths. */
const equalInConstantTime = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

/** HMAC-SHA256 under `key`: a function from a message's UTF-8 text to its 32-byte signature. */
export const hmacSha256 = (key: Uint8Array): (message: string) => Uint8Array => {
  // RFC 2104: a key longer than a block is hashed first.
  const blockKey = key.length > blockBytes ? sha256(key) : key
  const innerStart = padState(blockKey, 0x36)
  const outerStart = padState(blockKey, 0x5c)
  return (message) => mac(innerStart, outerStart, message)
}

/**
 * The key for one purpose: HMAC-SHA256 keyed by `purpose`, a zero byte and
 * the secret, as every earlier version signed.
 */
export const makeHmacKey = (secret: Redacted.Redacted<string>, purpose: string): HmacKey => {
  const sign = hmacSha256(encoder.encode(`${purpose}\u0000${Redacted.value(secret)}`))
  return { sign, verify: (message, signature) => equalInConstantTime(sign(message), signature) }
}
