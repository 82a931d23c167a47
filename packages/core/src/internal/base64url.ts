/**
 * base64url without padding, as tokens carry it, on the platform's own
 * `btoa` and `atob` (in every browser, Node, Deno and Bun): native, where a
 * JavaScript encoder cost a join more than its HMAC. Decoding accepts only
 * the canonical encoding (the one `encode` gives back), so a token has
 * exactly one spelling.
 *
 * @internal
 */

const utf8Encoder = new TextEncoder()
const utf8 = new TextDecoder("utf-8", { fatal: true })

/** Bytes as a binary string (one character per byte), what `btoa` takes. */
const binaryOf = (bytes: Uint8Array): string => {
  let binary = ""
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!)
  return binary
}

const urlCharacters: Record<string, string> = { "+": "-", "/": "_", "=": "" }
const toUrlAlphabet = (base64: string) => base64.replace(/[+/=]/g, (character) => urlCharacters[character]!)

const isAscii = (text: string) => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false
  return true
}

/** The base64url text of bytes, or of a string's UTF-8 bytes. */
const encode = (input: Uint8Array | string): string => {
  // An ASCII string is its own binary string: the token claims' JSON always is.
  if (typeof input === "string" && isAscii(input)) return toUrlAlphabet(btoa(input))
  return toUrlAlphabet(btoa(binaryOf(typeof input === "string" ? utf8Encoder.encode(input) : input)))
}

const alphabet = /^[A-Za-z0-9_-]*$/

/** The bytes of a canonical base64url text; `undefined` for any other text. */
const decode = (text: string): Uint8Array | undefined => {
  // atob would also take the other alphabet, padding and spaces; the round trip below refuses unused bits.
  if (!alphabet.test(text) || text.length % 4 === 1) return undefined
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return encode(bytes) === text ? bytes : undefined
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
