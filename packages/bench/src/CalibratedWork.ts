/**
 * A fixed amount of CPU work, in microseconds, for the budget curve: a
 * loop whose rate is measured against the process's own CPU clock at
 * start, so that time the process spends descheduled does not count.
 */

/** Xorshift rounds: cheap, and their result is kept, so the JIT cannot drop them. */
let sink = 1
const spin = (rounds: number) => {
  let x = sink
  for (let i = 0; i < rounds; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
  }
  sink = x | 1
}

const cpuMicros = () => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/** Rounds per CPU µs: the best of a few 50 ms samples, after the JIT has warmed the loop. */
const roundsPerMicrosecond = () => {
  spin(5_000_000)
  let best = 0
  for (let sample = 0; sample < 5; sample++) {
    let rounds = 0
    const started = cpuMicros()
    while (cpuMicros() - started < 50_000) {
      spin(100_000)
      rounds += 100_000
    }
    best = Math.max(best, rounds / (cpuMicros() - started))
  }
  return best
}

export const CalibratedWork = {
  /**
   * A function that spends about `workMicros` µs of CPU per call; a no-op for 0.
   *
   * @example
   * ```ts
   * const work = CalibratedWork.make(20)
   * work() // about 20 µs of CPU
   * ```
   */
  make: (workMicros: number): (() => void) => {
    if (!(workMicros > 0)) return () => {}
    const rounds = Math.round(workMicros * roundsPerMicrosecond())
    return () => spin(rounds)
  }
}
