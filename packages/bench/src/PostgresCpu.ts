/**
 * The CPU time every local `postgres` process has used, read from /proc: what
 * a measured phase cost Postgres itself, apart from the bench's own share of
 * the shared cores. Read before the phase's connections close (a backend's
 * time leaves the sum when it exits).
 */
import { readdirSync, readFileSync } from "node:fs"

/** Clock ticks per second of /proc's utime and stime: 100 on Linux. */
const ticksPerSecond = 100

/** CPU milliseconds (user + system) of the running postgres processes; undefined where /proc is not readable. */
export const postgresCpuMs = (): number | undefined => {
  try {
    let ticks = 0
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue
      let stat: string
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      } catch {
        continue // exited meanwhile
      }
      if (!stat.includes(" (postgres) ")) continue
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      ticks += Number(fields[11]) + Number(fields[12])
    }
    return (ticks * 1000) / ticksPerSecond
  } catch {
    return undefined
  }
}
