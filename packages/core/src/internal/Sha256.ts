/**
 * SHA-256 (FIPS 180-4) over bytes, for HMAC-SHA256 (`hmac.ts`). A state can
 * start after a prefix has been absorbed, so HMAC's two padded keys are
 * absorbed once per key, not on every message. Every operation is on 32-bit
 * words with no branch or table index that depends on the data, so its time
 * depends only on the message's length.
 */

/** The round constants: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const roundConstants = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])

/** The initial hash value: the first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const initialState = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])

export const blockBytes = 64
export const digestBytes = 32

/** A hash state: eight 32-bit words. */
export type Sha256State = Int32Array

/** The state before any byte is absorbed. */
export const freshState = (): Sha256State => initialState.slice()

const schedule = new Int32Array(64)

/** Absorbs the 64-byte block at `offset` of `bytes` into `state`. */
export const absorbBlock = (state: Sha256State, bytes: Uint8Array, offset: number): void => {
  const w = schedule
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4
    w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!
    const y = w[i - 2]!
    const sigma0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const sigma1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    w[i] = (w[i - 16]! + sigma0 + w[i - 7]! + sigma1) | 0
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!
  for (let i = 0; i < 64; i++) {
    const sum1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const t1 = (h + sum1 + ((e & f) ^ (~e & g)) + roundConstants[i]! + w[i]!) | 0
    const sum0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (sum0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  state[0] = (state[0]! + a) | 0
  state[1] = (state[1]! + b) | 0
  state[2] = (state[2]! + c) | 0
  state[3] = (state[3]! + d) | 0
  state[4] = (state[4]! + e) | 0
  state[5] = (state[5]! + f) | 0
  state[6] = (state[6]! + g) | 0
  state[7] = (state[7]! + h) | 0
}

/**
 * Finishes a hash: `into` becomes `start` (which has absorbed `absorbedBytes`,
 * a whole number of blocks) after the first `length` bytes of `buffer` and the
 * padding. `buffer` must have room for the padding: `length + 72` bytes.
 */
export const finish = (start: Sha256State, absorbedBytes: number, buffer: Uint8Array, length: number, into: Sha256State): void => {
  into.set(start)
  let end = length
  buffer[end++] = 0x80
  while (end % blockBytes !== 56) buffer[end++] = 0
  // The message's length in bits, as 64 bits big-endian; no message here reaches 2^32 bits.
  const bits = (absorbedBytes + length) * 8
  buffer[end++] = 0
  buffer[end++] = 0
  buffer[end++] = 0
  buffer[end++] = 0
  buffer[end++] = bits >>> 24
  buffer[end++] = bits >>> 16
  buffer[end++] = bits >>> 8
  buffer[end++] = bits
  for (let offset = 0; offset < end; offset += blockBytes) absorbBlock(into, buffer, offset)
}

/** Writes `state` as the 32-byte digest at `offset` of `bytes`. */
export const writeDigest = (state: Sha256State, bytes: Uint8Array, offset: number): void => {
  for (let i = 0; i < 8; i++) {
    const word = state[i]!
    bytes[offset + i * 4] = word >>> 24
    bytes[offset + i * 4 + 1] = word >>> 16
    bytes[offset + i * 4 + 2] = word >>> 8
    bytes[offset + i * 4 + 3] = word
  }
}

/** The digest of `bytes`. */
export const sha256 = (bytes: Uint8Array): Uint8Array => {
  const state = freshState()
  const whole = bytes.length - (bytes.length % blockBytes)
  for (let offset = 0; offset < whole; offset += blockBytes) absorbBlock(state, bytes, offset)
  const rest = new Uint8Array(bytes.length - whole + 72)
  rest.set(bytes.subarray(whole))
  finish(state, whole, rest, bytes.length - whole, state)
  const digest = new Uint8Array(digestBytes)
  writeDigest(state, digest, 0)
  return digest
}
