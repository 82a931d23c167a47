/**
 * The server's log: one JSON line per event, as Effect's `consoleJson`
 * writes them, but gathered over 20 ms and written in one call: one write
 * per line was the largest single cost of a busy server. The lines are the
 * same.
 */
import { Effect, Logger } from "effect"

export const JsonLog = Logger.layer([
  Logger.batched(Logger.formatJson, {
    window: "20 millis",
    flush: (lines) => Effect.sync(() => void process.stdout.write(`${lines.join("\n")}\n`))
  })
])
