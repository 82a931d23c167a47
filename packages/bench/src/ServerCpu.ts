/**
 * The CPU time the server processes have used, read from /proc: what the
 * requests of a measured phase cost the server itself, apart from what the
 * generator and the stores took of the shared cores meanwhile.
 */
import { readFileSync } from "node:fs"

/** Clock ticks per second of /proc's utime and stime: 100 on Linux. */
const ticksPerSecond = 100

/** A process and its children (the workers of a `BOXOFFICE_WORKERS` server). */
const withChildren = (pid: number): Array<number> => {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim()
  return [pid, ...(children === "" ? [] : children.split(" ").map(Number))]
}

/**
 * CPU milliseconds (user + system) used so far by these processes and their
 * children; undefined where /proc is not readable.
 */
export const cpuMsOf = (pids: ReadonlyArray<number>): number | undefined => {
  try {
    let ticks = 0
    for (const pid of pids.flatMap(withChildren)) {
      // The command name, in parentheses, may hold spaces: the fields are counted after it.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      ticks += Number(fields[11]) + Number(fields[12])
    }
    return (ticks * 1000) / ticksPerSecond
  } catch {
    return undefined
  }
}
