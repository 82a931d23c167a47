/**
 * Tokens that passed full verification, so a token polled every second is
 * checked by HMAC once, not on every request (verifying every request was
 * once the largest cost of a busy server). Only a token byte-for-byte equal
 * to a verified one is trusted. Bounded: the oldest entries leave first,
 * from a ring of slots in insertion order (taking a Map's first key walks
 * every slot deleted before it, which a full cache does on every insert).
 *
 * The index is keyed by a token's last `keyLength` characters, which are its
 * signature's, and the slot keeps the whole token to compare. Each request's
 * header is a new string, so a lookup hashes its key afresh, and a short key
 * hashes faster than a whole token of 150–250 characters. Two tokens that end
 * alike only cost a full verification.
 */
/**
 * A bounded memory of tokens that passed full verification, for an
 * `Identity` (or any verifier) that checks the same tokens again and again:
 * `get` answers only a token byte-for-byte equal to one remembered, and the
 * oldest are forgotten first. What a remembered token still needs judged
 * (its expiry) is the caller's to judge.
 *
 * @example
 * ```ts
 * import { makeVerifiedTokens } from "@boxoffice/core"
 * const verified = makeVerifiedTokens<{ readonly userId: string; readonly untilMs: number }>(100_000)
 * verified.remember("eyJ…", { userId: "6f9619ff-8b86-4011-b42d-00c04fc964ff", untilMs: 1_900_000_000_000 })
 * verified.get("eyJ…") // { userId: "6f9619ff-…", untilMs: 1_900_000_000_000 }
 * ```
 * @category identity
 */
export interface VerifiedTokens<A> {
  readonly get: (token: string) => A | undefined
  readonly remember: (token: string, value: A) => void
}

/** 72 bits of a signature: tokens that share them are rare enough to cost nothing but a miss. */
const keyLength = 12

const keyOf = (token: string) => token.slice(-keyLength)

/** A verified-token memory of at most `capacity` tokens. See `VerifiedTokens`. @category identity */
export const makeVerifiedTokens = <A>(capacity: number): VerifiedTokens<A> => {
  const slotByKey = new Map<string, number>()
  const keys: Array<string | undefined> = new Array(capacity).fill(undefined)
  const tokens: Array<string | undefined> = new Array(capacity).fill(undefined)
  const values: Array<A | undefined> = new Array(capacity).fill(undefined)
  let oldest = 0
  return {
    get: (token) => {
      const slot = slotByKey.get(keyOf(token))
      return slot !== undefined && tokens[slot] === token ? values[slot] : undefined
    },
    remember: (token, value) => {
      const key = keyOf(token)
      if (slotByKey.has(key)) return
      const evicted = keys[oldest]
      if (evicted !== undefined) slotByKey.delete(evicted)
      keys[oldest] = key
      tokens[oldest] = token
      values[oldest] = value
      slotByKey.set(key, oldest)
      oldest = (oldest + 1) % capacity
    }
  }
}
