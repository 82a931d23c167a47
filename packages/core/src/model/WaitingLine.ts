/**
 * The waiting line of one queue as an order-statistics structure: join
 * sequences in ascending order, with a waiter's place (its rank) in
 * O(log n). The memory store keeps its line in one, and so does every
 * instance's copy of a Redis line, so both answer a place by the same code.
 *
 * @since 0.4.0
 */

/** Slots below which the line never compacts: rebuilding a handful of slots saves nothing. */
const compactionFloorSlots = 64

/**
 * Join sequences in ascending order, each at most once. The sequences sit in
 * a sorted array with a live flag each; a Fenwick tree over the flags counts
 * the live slots before any slot, so a place is a binary search and a prefix
 * sum, both O(log n). A removal only clears a flag, and the array is
 * compacted once most of it is dead, so it stays within twice the number of
 * waiters. Typed arrays keep it to about 13 bytes a waiter (for the copy of a
 * line of 10^6 waiters that every instance keeps).
 *
 * Sequences are issued in increasing order, so an insert is nearly always an
 * append, in O(log n). An insert before the last sequence (a store that
 * restarted its counter below a waiter, or a copy replaying its log over a
 * newer snapshot) is correct but rebuilds the line, in O(n).
 *
 * @example
 * ```ts
 * import { WaitingLine } from "@boxoffice/core"
 * const line = WaitingLine.fromSorted([3, 5, 8])
 * line.insert(9)
 * line.remove(5)
 * line.position(8) // 2
 * line.shift() // 3
 * line.position(8) // 1
 * ```
 * @category models
 */
export class WaitingLine {
  private sequences = new Float64Array(16)
  private live = new Uint8Array(16)
  /** Fenwick tree over `live[0..slots)`, 1-based: node i sums (i - lowbit(i), i]. */
  private tree = new Int32Array(17)
  /** Used slots, live or not. */
  private slots = 0
  /** No live slot before this one. */
  private head = 0
  private liveCount = 0

  /**
   * A line of the given sequences, which must ascend strictly; O(n).
   *
   * @example
   * ```ts
   * import { WaitingLine } from "@boxoffice/core"
   * WaitingLine.fromSorted([1, 2, 4]).size // 3
   * ```
   */
  static fromSorted(sequences: ArrayLike<number>): WaitingLine {
    const line = new WaitingLine()
    line.rebuild(sequences, sequences.length)
    return line
  }

  /** How many are waiting. */
  get size(): number {
    return this.liveCount
  }

  /** The front waiter's sequence, or undefined when the line is empty. */
  first(): number | undefined {
    this.skipDeadHead()
    return this.head < this.slots ? this.sequences[this.head] : undefined
  }

  /** The waiting sequences, front first. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (let i = this.head; i < this.slots; i++) if (this.live[i] === 1) yield this.sequences[i]!
  }

  /** Whether the sequence is waiting. */
  has(sequence: number): boolean {
    const index = this.indexOf(sequence)
    return index >= 0 && this.live[index] === 1
  }

  /**
   * Adds a sequence in its place; false when it is waiting already. O(log n)
   * for a sequence above every one in the line, O(n) otherwise.
   */
  insert(sequence: number): boolean {
    if (this.slots === 0 || sequence > this.sequences[this.slots - 1]!) {
      this.append(sequence)
      return true
    }
    const index = this.indexOf(sequence)
    if (index >= 0) {
      if (this.live[index] === 1) return false
      // A removed slot still holds its sequence in order: it comes back to life where it was.
      this.live[index] = 1
      this.add(index + 1, 1)
      this.liveCount++
      if (index < this.head) this.head = index
      return true
    }
    const merged = Array.from(this)
    merged.splice(this.countBelow(sequence), 0, sequence)
    this.rebuild(merged, merged.length)
    return true
  }

  /** Removes a waiting sequence; false when it was not waiting. O(log n). */
  remove(sequence: number): boolean {
    const index = this.indexOf(sequence)
    if (index < 0 || this.live[index] === 0) return false
    this.kill(index)
    this.compactIfSparse()
    return true
  }

  /** The front waiter, removed; undefined when the line is empty. O(log n) amortized. */
  shift(): number | undefined {
    this.skipDeadHead()
    if (this.head >= this.slots) return undefined
    const sequence = this.sequences[this.head]!
    this.kill(this.head)
    this.head++
    this.compactIfSparse()
    return sequence
  }

  /** 1-based place in line, or null when the sequence is not waiting. O(log n). */
  position(sequence: number): number | null {
    const index = this.indexOf(sequence)
    if (index < 0 || this.live[index] === 0) return null
    return this.prefix(index + 1)
  }

  /** Bytes held by the line's arrays (its capacity, not only what is used). */
  get retainedBytes(): number {
    return this.sequences.byteLength + this.live.byteLength + this.tree.byteLength
  }

  private skipDeadHead(): void {
    while (this.head < this.slots && this.live[this.head] === 0) this.head++
  }

  private kill(index: number): void {
    this.live[index] = 0
    this.add(index + 1, -1)
    this.liveCount--
  }

  private append(sequence: number): void {
    if (this.slots === this.sequences.length) this.grow(this.slots * 2)
    const index = this.slots
    this.sequences[index] = sequence
    this.live[index] = 1
    this.slots++
    // The new Fenwick node covers (node - lowbit(node), node]: the new slot plus the sums of the nodes below it.
    const node = index + 1
    let sum = 1
    const low = node - (node & -node)
    for (let i = node - 1; i > low; i -= i & -i) sum += this.tree[i]!
    this.tree[node] = sum
    this.liveCount++
  }

  private grow(capacity: number): void {
    const sequences = new Float64Array(capacity)
    sequences.set(this.sequences.subarray(0, this.slots))
    const live = new Uint8Array(capacity)
    live.set(this.live.subarray(0, this.slots))
    const tree = new Int32Array(capacity + 1)
    tree.set(this.tree.subarray(0, this.slots + 1))
    this.sequences = sequences
    this.live = live
    this.tree = tree
  }

  /** The slot holding `sequence`, live or dead, or -1: a binary search over every used slot, which stay sorted. */
  private indexOf(sequence: number): number {
    let low = 0
    let high = this.slots - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const value = this.sequences[middle]!
      if (value === sequence) return middle
      if (value < sequence) low = middle + 1
      else high = middle - 1
    }
    return -1
  }

  /** How many waiting sequences are below `sequence`. */
  private countBelow(sequence: number): number {
    let low = 0
    let high = this.slots
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.sequences[middle]! < sequence) low = middle + 1
      else high = middle
    }
    return this.prefix(low)
  }

  private add(node: number, delta: number): void {
    for (let i = node; i <= this.slots; i += i & -i) this.tree[i]! += delta
  }

  private prefix(node: number): number {
    let sum = 0
    for (let i = node; i > 0; i -= i & -i) sum += this.tree[i]!
    return sum
  }

  /** Lays out `count` ascending sequences afresh, all live, in O(n), with a quarter to spare. */
  private rebuild(sequences: ArrayLike<number>, count: number): void {
    const capacity = Math.max(16, count + (count >> 2))
    this.sequences = new Float64Array(capacity)
    this.live = new Uint8Array(capacity)
    this.tree = new Int32Array(capacity + 1)
    for (let i = 0; i < count; i++) {
      const sequence = sequences[i]!
      if (i > 0 && !(sequence > sequences[i - 1]!)) throw new RangeError("WaitingLine: sequences must ascend strictly")
      this.sequences[i] = sequence
      this.live[i] = 1
      this.tree[i + 1]! += 1
      const parent = i + 1 + ((i + 1) & -(i + 1))
      if (parent <= count) this.tree[parent]! += this.tree[i + 1]!
    }
    this.slots = count
    this.head = 0
    this.liveCount = count
  }

  /** Rebuilds in O(n) once dead slots outnumber the living: O(1) amortized per removal. */
  private compactIfSparse(): void {
    if (this.slots < compactionFloorSlots || this.liveCount * 2 > this.slots) return
    const sequences = Array.from(this)
    this.rebuild(sequences, sequences.length)
  }
}
