/**
 * The memory store's randomness for the fair-start draw: the platform's
 * cryptographic source (Web Crypto, in Node and browsers), so nobody can
 * predict a draw from earlier ones.
 */
const webCrypto = (
  globalThis as unknown as {
    readonly crypto: { readonly getRandomValues: (array: Uint32Array) => Uint32Array }
  }
).crypto
const words = new Uint32Array(256)
let next = words.length

const randomWord = (): number => {
  if (next === words.length) {
    webCrypto.getRandomValues(words)
    next = 0
  }
  return words[next++]!
}

/** An integer in `0..bound-1`, each equally likely: words past the last whole multiple of `bound` are drawn again. */
export const randomBelow = (bound: number): number => {
  const limit = 2 ** 32 - (2 ** 32 % bound)
  for (;;) {
    const word = randomWord()
    if (word < limit) return word % bound
  }
}
