/**
 * When the store last saw each waiter who joined while the line was open, read from the steps' bitmaps (see
 * `sight` in `scripts.ts`): bit (sequence − base) of a step's bitmap marks a waiter last sighted in that step,
 * which counts at the step's end (core's `sightingMsOf`). A copy read from the keys takes its waiters' sightings
 * from here, so it neither sends their polls to the store nor reports them all at once.
 *
 * @example
 * ```ts
 * // Step 2 (ending at 20,000 ms) based at sequence 8: bits 0 and 9 mark sequences 8 and 17.
 * const sightings = StepSightings.of([{ stepEndMs: 20_000, base: 8, bitmap: Uint8Array.of(0b1000_0000, 0b0100_0000) }])
 * sightings.seenAtMsOf(17) // 20_000
 * sightings.seenAtMsOf(9) // undefined
 * ```
 */
export class StepSightings {
  /**
   * The most sequences the bitmaps may span, 4 bytes each while a copy is read: 2^25 is 128 MiB, far more than
   * the joins of a grace at any rate measured. Beyond it the copy reads no sightings and learns them as it answers.
   */
  static readonly spanMax = 2 ** 25

  private readonly firstSequence: number
  /** By sequence less `firstSequence`: the end of the step last sighted in, in seconds; 0 for none. */
  private readonly stepEndSeconds: Uint32Array

  private constructor(firstSequence: number, stepEndSeconds: Uint32Array) {
    this.firstSequence = firstSequence
    this.stepEndSeconds = stepEndSeconds
  }

  /** The sightings the bitmaps mark, read in ascending order of step, so a later step's bit wins. */
  static of(
    steps: ReadonlyArray<{ readonly stepEndMs: number; readonly base: number; readonly bitmap: Uint8Array }>
  ): StepSightings {
    if (steps.length === 0) return new StepSightings(0, new Uint32Array(0))
    const firstSequence = Math.min(...steps.map((step) => step.base))
    const end = Math.max(...steps.map((step) => step.base + step.bitmap.length * 8))
    if (end - firstSequence > StepSightings.spanMax) return new StepSightings(0, new Uint32Array(0))
    const stepEndSeconds = new Uint32Array(end - firstSequence)
    for (const { stepEndMs, base, bitmap } of steps) {
      const seconds = Math.floor(stepEndMs / 1000)
      const offset = base - firstSequence
      for (let byte = 0; byte < bitmap.length; byte++) {
        const bits = bitmap[byte]!
        if (bits === 0) continue
        // Redis numbers a byte's bits from its most significant.
        for (let bit = 0; bit < 8; bit++) {
          if (bits & (0x80 >> bit)) stepEndSeconds[offset + byte * 8 + bit] = seconds
        }
      }
    }
    return new StepSightings(firstSequence, stepEndSeconds)
  }

  /** When the store last saw the waiter at `sequence`, or undefined when no bitmap marks them. */
  seenAtMsOf(sequence: number): number | undefined {
    const seconds = this.stepEndSeconds[sequence - this.firstSequence]
    return seconds === undefined || seconds === 0 ? undefined : seconds * 1000
  }
}
