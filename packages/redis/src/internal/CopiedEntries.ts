/**
 * The entries of one line's copy, kept in typed arrays: a line of 10^6 waiters is held by every instance that
 * serves it, and a JavaScript object per entry, with its token and user id as strings, took about 300 bytes a
 * waiter. Here a waiter takes about 37 with the index: its token as 16 bytes (a UUID's bits), its sequence, when
 * it was last seen (whole seconds) and its state, in slots found through an open-addressing index on the token.
 * A token that is not a lowercase UUID (never one the engine makes) is kept as text beside the slots. No user id
 * or join time: a display read brings its token's claims, which hold both (`QueueStatusForDisplay`). Only active
 * entries, which the caps keep few, carry their window, in a map.
 */

/** An entry's state, as a copy keeps it. */
export type CopiedState = "p" | "w" | "a"

const stateCodes = { p: 1, w: 2, a: 3 } as const
const statesByCode: ReadonlyArray<CopiedState | undefined> = [undefined, "p", "w", "a"]

/** Each ASCII character's value as a lowercase hex digit, or -1. */
const hexDigits = Int8Array.from({ length: 128 }, (_, code) =>
  code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1
)

/** Words parsed before they are written, so a text that is not a UUID writes nothing. */
const parsed = new Uint32Array(4)

/**
 * Reads the lowercase UUID at `text[from, from + 36)` into four 32-bit words at `at`; false (nothing written) for
 * any other text. By character codes, in place: a copy parses every token it reads, a million for a long line.
 */
const packUuidAt = (text: string, from: number, words: Uint32Array, at: number): boolean => {
  if (from + 36 > text.length) return false
  let word = 0
  let digits = 0
  for (let i = 0; i < 36; i++) {
    const code = text.charCodeAt(from + i)
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return false
      continue
    }
    const value = code < 128 ? hexDigits[code]! : -1
    if (value < 0) return false
    word = (word << 4) | value
    if (++digits % 8 === 0) parsed[digits / 8 - 1] = word
  }
  words.set(parsed, at)
  return true
}

/** Each ASCII character's value as a base64url digit, or -1. */
const base64urlDigits = Int8Array.from({ length: 128 }, (_, code) =>
  code >= 65 && code <= 90
    ? code - 65
    : code >= 97 && code <= 122
      ? code - 71
      : code >= 48 && code <= 57
        ? code + 4
        : code === 45
          ? 62
          : code === 95
            ? 63
            : -1
)

/**
 * Reads the token key at `text[from, from + 22)` (a UUID's 16 bytes in base64url, `LineKeys.tokenKeyOf`) into four
 * 32-bit words at `at`, as `packUuidAt` reads the UUID; false (nothing written) for any other text. In place, as
 * a snapshot's page of a million waiters is read.
 */
const packTokenKeyAt = (text: string, from: number, words: Uint32Array, at: number): boolean => {
  if (from + 22 > text.length) return false
  let bits = 0
  let bitCount = 0
  let word = 0
  let bytes = 0
  for (let i = 0; i < 22; i++) {
    const code = text.charCodeAt(from + i)
    const value = code < 128 ? base64urlDigits[code]! : -1
    if (value < 0) return false
    bits = ((bits << 6) | value) & 0x3fff
    bitCount += 6
    if (bitCount >= 8 && bytes < 16) {
      bitCount -= 8
      word = (word << 8) | ((bits >>> bitCount) & 0xff)
      if (++bytes % 4 === 0) parsed[bytes / 4 - 1] = word
    }
  }
  words.set(parsed, at)
  return true
}

const packUuid = (text: string, words: Uint32Array, at: number): boolean =>
  text.length === 36 && packUuidAt(text, 0, words, at)

const hex8 = (word: number) => word.toString(16).padStart(8, "0")

const unpackUuid = (words: Uint32Array, at: number): string => {
  const b = hex8(words[at + 1]!)
  const c = hex8(words[at + 2]!)
  return `${hex8(words[at]!)}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${hex8(words[at + 3]!)}`
}

/** The last-seen second that stands for "not known" (a waiter read from the waiting set alone). */
const unknownSecond = 0xffffffff

/** Slots a table starts with; it doubles when full. */
const initialSlots = 16

/** Scratch words for a token looked up, so a lookup allocates nothing. */
const probe = new Uint32Array(4)

/**
 * The entries, by token.
 *
 * @example
 * ```ts
 * const entries = new CopiedEntries()
 * const slot = entries.add(token, 7, "w", joinedAtMs)
 * entries.slotOf(token) === slot // true
 * entries.sequence(slot) // 7
 * ```
 */
export class CopiedEntries {
  private capacity: number
  private tokens: Uint32Array
  private sequences: Float64Array
  private seenAtSeconds: Uint32Array
  private states: Uint8Array
  /** Open addressing with linear probing: slot + 1, or 0 for none; its length a power of two, at most 2/3 full. */
  private index: Int32Array
  /** Slots freed by removals, reused first. */
  private free: Array<number> = []
  /** Slots never used yet start here. */
  private fresh = 0
  private count = 0
  /** Tokens that are not lowercase UUIDs (the tests' names, a foreign store's): slot by token, token by slot. */
  private readonly textTokens = new Map<string, number>()
  private readonly textIds = new Map<number, string>()
  private readonly windows = new Map<number, { readonly admittedAtMs: number; readonly activeUntilMs: number }>()

  /** A table with room for `expected` entries before it grows. */
  constructor(expected = initialSlots) {
    this.capacity = Math.max(initialSlots, expected)
    this.tokens = new Uint32Array(this.capacity * 4)
    this.sequences = new Float64Array(this.capacity)
    this.seenAtSeconds = new Uint32Array(this.capacity)
    this.states = new Uint8Array(this.capacity)
    this.index = new Int32Array(indexLengthFor(this.capacity))
  }

  get size(): number {
    return this.count
  }

  /** The token's slot, or -1. */
  slotOf(token: string): number {
    return packUuid(token, probe, 0) ? this.probedSlot() : (this.textTokens.get(token) ?? -1)
  }

  /**
   * Holds a waiter at `sequence`, last seen at `seenAtMs` (undefined: not known), whose token's key
   * (`LineKeys.tokenKeyOf`) is `text[from, to)`, replacing any entry the token had: a snapshot's page is read in
   * place, without a string per token.
   */
  putWaiter(text: string, from: number, to: number, sequence: number, seenAtMs: number | undefined): void {
    if (to - from !== 22 || !packTokenKeyAt(text, from, probe, 0)) {
      // A token that is not a UUID, kept as `~` and its text (`LineKeys.tokenKeyOf`).
      const token = text.slice(text.charCodeAt(from) === 126 ? from + 1 : from, to)
      const held = this.slotOf(token)
      if (held >= 0) this.remove(held)
      this.add(token, sequence, "w", seenAtMs)
      return
    }
    const held = this.probedSlot()
    if (held >= 0) this.remove(held)
    const slot = this.allocate()
    this.tokens.set(probe, slot * 4)
    this.place(slot)
    this.sequences[slot] = sequence
    this.states[slot] = stateCodes.w
    this.setSeenAtMs(slot, seenAtMs)
    this.count++
  }

  /** The slot of the token in `probe`, or -1. */
  private probedSlot(): number {
    const mask = this.index.length - 1
    for (let at = hashOf(probe, 0) & mask; ; at = (at + 1) & mask) {
      const held = this.index[at]!
      if (held === 0) return -1
      if (this.tokenIs(held - 1, probe)) return held - 1
    }
  }

  /** Adds an entry whose token is not held (`slotOf` answered -1); answers its slot. */
  add(token: string, sequence: number, state: CopiedState, seenAtMs: number | undefined): number {
    const slot = this.allocate()
    if (packUuid(token, this.tokens, slot * 4)) this.place(slot)
    else {
      this.tokens.fill(0, slot * 4, slot * 4 + 4)
      this.textTokens.set(token, slot)
      this.textIds.set(slot, token)
    }
    this.sequences[slot] = sequence
    this.states[slot] = stateCodes[state]
    this.setSeenAtMs(slot, seenAtMs)
    this.count++
    return slot
  }

  /** Removes the entry in `slot`. */
  remove(slot: number): void {
    const text = this.textIds.get(slot)
    if (text !== undefined) this.textTokens.delete(text)
    else this.unplace(slot)
    this.textIds.delete(slot)
    this.windows.delete(slot)
    this.states[slot] = 0
    this.free.push(slot)
    this.count--
  }

  token(slot: number): string {
    return this.textIds.get(slot) ?? unpackUuid(this.tokens, slot * 4)
  }

  state(slot: number): CopiedState {
    return statesByCode[this.states[slot]!]!
  }

  setState(slot: number, state: CopiedState): void {
    this.states[slot] = stateCodes[state]
  }

  sequence(slot: number): number {
    return this.sequences[slot]!
  }

  setSequence(slot: number, sequence: number): void {
    this.sequences[slot] = sequence
  }

  /** When the store last saw the waiter, to the second below; undefined when the copy does not know. */
  seenAtMs(slot: number): number | undefined {
    const second = this.seenAtSeconds[slot]!
    return second === unknownSecond ? undefined : second * 1000
  }

  /** Rounded down: a copy that thinks a waiter was seen earlier only stops answering for them, or reports, sooner. */
  setSeenAtMs(slot: number, seenAtMs: number | undefined): void {
    // Whole seconds since 1970 fit 32 bits until 2106.
    this.seenAtSeconds[slot] =
      seenAtMs === undefined ? unknownSecond : Math.min(unknownSecond - 1, Math.max(0, Math.floor(seenAtMs / 1000)))
  }

  window(slot: number): { readonly admittedAtMs: number; readonly activeUntilMs: number } | undefined {
    return this.windows.get(slot)
  }

  setWindow(slot: number, admittedAtMs: number, activeUntilMs: number): void {
    this.windows.set(slot, { admittedAtMs, activeUntilMs })
  }

  /** Every held slot. */
  *slots(): IterableIterator<number> {
    for (let slot = 0; slot < this.fresh; slot++) if (this.states[slot] !== 0) yield slot
  }

  /** The sequences of the entries in `state`, in slot order: one pass over the arrays. */
  sequencesIn(state: CopiedState): Float64Array {
    const code = stateCodes[state]
    let count = 0
    for (let slot = 0; slot < this.fresh; slot++) if (this.states[slot] === code) count++
    const sequences = new Float64Array(count)
    let at = 0
    for (let slot = 0; slot < this.fresh; slot++)
      if (this.states[slot] === code) sequences[at++] = this.sequences[slot]!
    return sequences
  }

  /** When each active entry's window runs out (only active entries carry a window), in no order. */
  activeUntilsMs(): Array<number> {
    return Array.from(this.windows.values(), (window) => window.activeUntilMs)
  }

  /** Bytes held by the arrays (their capacity), not counting the few text ids and windows. */
  get retainedBytes(): number {
    return (
      this.tokens.byteLength +
      this.sequences.byteLength +
      this.seenAtSeconds.byteLength +
      this.states.byteLength +
      this.index.byteLength
    )
  }

  private tokenIs(slot: number, words: Uint32Array): boolean {
    const at = slot * 4
    return (
      this.tokens[at] === words[0] &&
      this.tokens[at + 1] === words[1] &&
      this.tokens[at + 2] === words[2] &&
      this.tokens[at + 3] === words[3]
    )
  }

  private allocate(): number {
    const reused = this.free.pop()
    if (reused !== undefined) return reused
    if (this.fresh === this.capacity) this.grow(this.capacity * 2)
    return this.fresh++
  }

  private place(slot: number): void {
    const mask = this.index.length - 1
    let at = hashOf(this.tokens, slot * 4) & mask
    while (this.index[at] !== 0) at = (at + 1) & mask
    this.index[at] = slot + 1
  }

  /** Takes the slot out of the index, moving back the entries probed past it (deletion without tombstones). */
  private unplace(slot: number): void {
    const mask = this.index.length - 1
    let hole = hashOf(this.tokens, slot * 4) & mask
    while (this.index[hole] !== slot + 1) hole = (hole + 1) & mask
    this.index[hole] = 0
    for (let at = (hole + 1) & mask; this.index[at] !== 0; at = (at + 1) & mask) {
      const moved = this.index[at]! - 1
      const home = hashOf(this.tokens, moved * 4) & mask
      // The entry at `at` may fill the hole when its home is not in (hole, at], cyclically.
      if (hole < at ? home <= hole || home > at : home <= hole && home > at) {
        this.index[hole] = moved + 1
        this.index[at] = 0
        hole = at
      }
    }
  }

  private grow(capacity: number): void {
    const grown = <T extends Uint32Array | Float64Array | Uint8Array>(
      array: T,
      make: (length: number) => T,
      width = 1
    ) => {
      const next = make(capacity * width)
      next.set(array)
      return next
    }
    this.tokens = grown(this.tokens, (n) => new Uint32Array(n), 4)
    this.sequences = grown(this.sequences, (n) => new Float64Array(n))
    this.seenAtSeconds = grown(this.seenAtSeconds, (n) => new Uint32Array(n))
    this.states = grown(this.states, (n) => new Uint8Array(n))
    this.capacity = capacity
    this.index = new Int32Array(indexLengthFor(capacity))
    for (let slot = 0; slot < this.fresh; slot++) {
      if (this.states[slot] !== 0 && !this.textIds.has(slot)) this.place(slot)
    }
  }
}

/** The index's length for `capacity` slots: a power of two at least half as long again, so at most 2/3 full. */
const indexLengthFor = (capacity: number): number => {
  let length = 32
  while (length < capacity * 1.5) length *= 2
  return length
}

/** A token's bucket: its words mixed (UUIDs of some versions start with a clock) and spread by a multiply. */
const hashOf = (words: Uint32Array, at: number): number => {
  const mixed = Math.imul(words[at]! ^ words[at + 1]! ^ words[at + 2]! ^ words[at + 3]!, 0x9e3779b1)
  return (mixed ^ (mixed >>> 15)) >>> 0
}
