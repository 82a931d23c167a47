/**
 * The changes a line's log carries (written by the scripts, see `scripts.ts`), parsed. Each says what an entry
 * or a setting now is, never what to add, so a copy can replay them over a snapshot read later than the first of
 * them and still end where the line is. The log names tokens by their keys (`LineKeys`); a parsed change names
 * them by id.
 */
import { tokenIdOfKey } from "./LineKeys.ts"

/** One change to a line, in the order the scripts made it. */
export type LineChange =
  /** A new entry: pending (joined before the opening, no place yet, sequence 0) or waiting at `sequence`. */
  | {
      readonly kind: "joined"
      readonly tokenId: string
      readonly sequence: number
      readonly joinedAtMs: number
      readonly pending: boolean
    }
  /** Admitted at `admittedAtMs` until `activeUntilMs`; `waited`: not let in on arrival (the ETA's sample). */
  | {
      readonly kind: "admitted"
      readonly tokenId: string
      readonly sequence: number
      readonly admittedAtMs: number
      readonly activeUntilMs: number
      readonly waited: boolean
    }
  /** Ended (left, paid, run out, abandoned), or a lost entry passed over. */
  | { readonly kind: "ended"; readonly tokenId: string }
  /** Pending tokens drawn into the line, in this order, from `firstSequence` on. */
  | { readonly kind: "drawn"; readonly firstSequence: number; readonly tokenIds: ReadonlyArray<string> }
  /** The operator's settings, now in force. */
  | {
      readonly kind: "settings"
      readonly maxActive: number
      readonly activeMs: number
      readonly rate: number
      readonly paused: boolean
    }
  /** The sold-out mark set or cleared. */
  | { readonly kind: "soldOut"; readonly soldOut: boolean }

/** One log entry: one script call's changes. */
export interface LineLogEntry {
  /** The stream entry's id, from which the next read goes on. */
  readonly id: string
  /** The line's log counter: each entry's is the one before plus one, so a gap shows a trimmed or lost log. */
  readonly counter: number
  /** The store's time of the call, epoch ms. */
  readonly atMs: number
  readonly changes: ReadonlyArray<LineChange>
}

/** A log entry the scripts cannot have written: the copy cannot trust the log, and rebuilds. */
export class MalformedLogEntry extends Error {
  override readonly name = "MalformedLogEntry"
}

const integerOf = (text: string | undefined, entry: string): number => {
  const value = Number(text)
  if (text === undefined || text === "" || !Number.isSafeInteger(value)) throw new MalformedLogEntry(entry)
  return value
}

const idOf = (text: string | undefined, entry: string): string => {
  if (text === undefined || text === "") throw new MalformedLogEntry(entry)
  return tokenIdOfKey(text)
}

const changeOf = (text: string, entry: string): LineChange => {
  const fields = text.split(",")
  switch (fields[0]) {
    case "j":
      return {
        kind: "joined",
        tokenId: idOf(fields[1], entry),
        sequence: integerOf(fields[2], entry),
        joinedAtMs: integerOf(fields[3], entry),
        pending: fields[4] === "p"
      }
    case "a":
      return {
        kind: "admitted",
        tokenId: idOf(fields[1], entry),
        sequence: integerOf(fields[2], entry),
        admittedAtMs: integerOf(fields[3], entry),
        activeUntilMs: integerOf(fields[4], entry),
        waited: fields[5] === "1"
      }
    case "x":
      return { kind: "ended", tokenId: idOf(fields[1], entry) }
    case "d":
      return {
        kind: "drawn",
        firstSequence: integerOf(fields[1], entry),
        tokenIds: fields.slice(2).map((key) => idOf(key, entry))
      }
    case "s":
      return {
        kind: "settings",
        maxActive: integerOf(fields[1], entry),
        activeMs: integerOf(fields[2], entry),
        rate: integerOf(fields[3], entry),
        paused: fields[4] === "1"
      }
    case "o":
      return { kind: "soldOut", soldOut: fields[1] === "1" }
    default:
      throw new MalformedLogEntry(entry)
  }
}

/**
 * Parses one stream entry of a line's log: its id and its one field `c`, `counter,atMs;change;change...`.
 *
 * @example
 * ```ts
 * parseLogEntry("1700000000000-0", "3,1700000000000;x,~token-1")
 * // { id: "1700000000000-0", counter: 3, atMs: 1700000000000, changes: [{ kind: "ended", tokenId: "token-1" }] }
 * ```
 */
export const parseLogEntry = (id: string, value: string): LineLogEntry => {
  const parts = value.split(";")
  const [counter, atMs] = parts[0]!.split(",")
  const changes: Array<LineChange> = []
  for (let i = 1; i < parts.length; i++) changes.push(changeOf(parts[i]!, value))
  return { id, counter: integerOf(counter, value), atMs: integerOf(atMs, value), changes }
}
