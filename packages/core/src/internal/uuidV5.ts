/**
 * Name-based UUIDs (version 5, RFC 9562 section 5.5): SHA-1 of a namespace
 * UUID's 16 bytes followed by the name's UTF-8 bytes, the first 16 bytes
 * of the hash with the version and variant bits set. SHA-1 comes from
 * `@noble/hashes` (its `legacy` module), as HMAC-SHA256 does (decision 68).
 *
 * @internal
 */
import { sha1 } from "@noble/hashes/legacy.js"

const encoder = new TextEncoder()

/** The 16 bytes of a UUID in its `8-4-4-4-12` text form (any case). */
const bytesOf = (uuid: string): Uint8Array => {
  const hex = uuid.replaceAll("-", "")
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`not a UUID: ${uuid}`)
  return Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16))
}

const hex = (bytes: Uint8Array, from: number, to: number) =>
  Array.from(bytes.subarray(from, to), (byte) => byte.toString(16).padStart(2, "0")).join("")

/** The version-5 UUID of `name` under `namespace`, in lower case. */
export const uuidV5 = (namespace: string, name: string): string => {
  const nameBytes = encoder.encode(name)
  const input = new Uint8Array(16 + nameBytes.length)
  input.set(bytesOf(namespace))
  input.set(nameBytes, 16)
  const hash = sha1(input)
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  return `${hex(hash, 0, 4)}-${hex(hash, 4, 6)}-${hex(hash, 6, 8)}-${hex(hash, 8, 10)}-${hex(hash, 10, 16)}`
}
