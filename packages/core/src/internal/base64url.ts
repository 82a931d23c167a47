/**
 * base64url without padding, as tokens carry it, on Effect's encoder, the
 * same on every runtime. Decoding accepts only the canonical encoding (the
 * one `encode` gives back), so a token has exactly one spelling.
 *
 * @internal
 */
import { Result } from "effect"
import { Base64Url as EffectBase64Url } from "effect/encoding"

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The base64url text of bytes, or of a string's UTF-8 bytes. */
const encode = (input: Uint8Array | string): string => EffectBase64Url.encode(input)

/** The bytes of a canonical base64url text; `undefined` for any other text. */
const decode = (text: string): Uint8Array | undefined => {
  const decoded = EffectBase64Url.decode(text)
  if (Result.isFailure(decoded)) return undefined
  // The last character may carry unused bits: only the text that encodes back alike is the token's spelling.
  return encode(decoded.success) === text ? decoded.success : undefined
}

/** The UTF-8 text of a canonical base64url text; `undefined` for any other text, or bytes that are not UTF-8. */
const decodeString = (text: string): string | undefined => {
  const bytes = decode(text)
  if (bytes === undefined) return undefined
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

export const Base64Url = { encode, decode, decodeString }
