/**
 * Tokens that passed full verification, so a token polled every second is
 * checked by HMAC once, not on every request (HMAC over Web Crypto was 16%
 * of a busy server's time). Keys are exact token strings, so only a token
 * byte-for-byte equal to a verified one is trusted. Bounded: the oldest
 * entries leave first.
 */
export interface VerifiedTokens<A> {
  readonly get: (token: string) => A | undefined
  readonly remember: (token: string, value: A) => void
}

export const makeVerifiedTokens = <A>(capacity: number): VerifiedTokens<A> => {
  const entries = new Map<string, A>()
  return {
    get: (token) => entries.get(token),
    remember: (token, value) => {
      if (entries.size >= capacity) entries.delete(entries.keys().next().value!)
      entries.set(token, value)
    }
  }
}
