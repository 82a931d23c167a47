/** A binary min-heap by a numeric key: O(log n) push and pop, O(1) peek. */
export class MinHeap<A> {
  private readonly items: Array<{ readonly key: number; readonly value: A }> = []

  get size(): number {
    return this.items.length
  }

  push(key: number, value: A): void {
    const items = this.items
    items.push({ key, value })
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1
      if (items[parent]!.key <= items[i]!.key) break
      ;[items[parent], items[i]] = [items[i]!, items[parent]!]
      i = parent
    }
  }

  /** The smallest key, or undefined when empty. */
  peekKey(): number | undefined {
    return this.items[0]?.key
  }

  pop(): A | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top?.value
    items[0] = last
    for (let i = 0; ; ) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < items.length && items[left]!.key < items[smallest]!.key) smallest = left
      if (right < items.length && items[right]!.key < items[smallest]!.key) smallest = right
      if (smallest === i) break
      ;[items[smallest], items[i]] = [items[i]!, items[smallest]!]
      i = smallest
    }
    return top.value
  }
}
