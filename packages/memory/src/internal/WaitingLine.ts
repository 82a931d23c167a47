/**
 * The waiting line of one queue: join sequences in ascending order, with
 * O(log n) removal from anywhere and O(log n) position. A removal only marks
 * the slot (a Fenwick tree counts the live ones before any slot), and the
 * array is compacted once most of it is dead, so its size stays within twice
 * the number of waiters.
 */
export class WaitingLine {
  private sequences: Array<number> = []
  private live: Array<boolean> = []
  /** Fenwick tree over `live`, 1-based. */
  private tree: Array<number> = [0]
  private head = 0
  private liveCount = 0

  get size(): number {
    return this.liveCount
  }

  /** Appends a sequence larger than every one before it. */
  push(sequence: number): void {
    this.sequences.push(sequence)
    this.live.push(true)
    const index = this.sequences.length
    // A new Fenwick node covers (index - lowbit(index), index]: sum that range of live slots.
    let sum = 1
    const low = index - (index & -index)
    for (let i = index - 1; i > low; i -= i & -i) sum += this.tree[i]!
    this.tree.push(sum)
    this.liveCount++
  }

  /** Removes a waiting sequence; false when it was not waiting. */
  remove(sequence: number): boolean {
    const index = this.indexOf(sequence)
    if (index < 0 || !this.live[index]) return false
    this.live[index] = false
    this.add(index + 1, -1)
    this.liveCount--
    this.compactIfSparse()
    return true
  }

  /** The front waiter, removed; undefined when the line is empty. */
  shift(): number | undefined {
    while (this.head < this.sequences.length && !this.live[this.head]) this.head++
    if (this.head >= this.sequences.length) return undefined
    const sequence = this.sequences[this.head]!
    this.live[this.head] = false
    this.add(this.head + 1, -1)
    this.head++
    this.liveCount--
    this.compactIfSparse()
    return sequence
  }

  /** 1-based place in line, or null when the sequence is not waiting. */
  position(sequence: number): number | null {
    const index = this.indexOf(sequence)
    if (index < 0 || !this.live[index]) return null
    return this.prefix(index + 1)
  }

  private indexOf(sequence: number): number {
    let low = this.head
    let high = this.sequences.length - 1
    while (low <= high) {
      const middle = (low + high) >>> 1
      const value = this.sequences[middle]!
      if (value === sequence) return middle
      if (value < sequence) low = middle + 1
      else high = middle - 1
    }
    return -1
  }

  private add(position: number, delta: number): void {
    for (let i = position; i < this.tree.length; i += i & -i) this.tree[i]! += delta
  }

  private prefix(position: number): number {
    let sum = 0
    for (let i = position; i > 0; i -= i & -i) sum += this.tree[i]!
    return sum
  }

  /** Rebuilds in O(n) once dead slots outnumber the living: O(1) amortized per removal. */
  private compactIfSparse(): void {
    const slots = this.sequences.length
    if (slots < 64 || this.liveCount * 2 > slots) return
    const sequences = this.sequences.filter((_, i) => this.live[i])
    this.sequences = []
    this.live = []
    this.tree = [0]
    this.head = 0
    this.liveCount = 0
    for (const sequence of sequences) this.push(sequence)
  }
}
