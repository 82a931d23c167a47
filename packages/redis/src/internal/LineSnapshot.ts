/**
 * Reads a line for a copy to start from: the snapshot script's parts, page by page, then the log since the
 * snapshot's head replayed on top (see `snapshotScript`). The parts are read while the line goes on changing;
 * every change since the head is in the log, and each says what it sets, so the replay ends where the line is.
 */
import { Limits } from "@boxoffice/core"
import { LineCopy, type SnapshotEntry } from "./LineCopy.ts"
import { tokenIdOfMember, userKeyLength } from "./LineKeys.ts"
import { type LineLogEntry, MalformedLogEntry, parseLogEntry } from "./LineLog.ts"
import { StepSightings } from "./StepSightings.ts"

/** Waiters per page of a snapshot: a page costs Redis a few ms, so other calls are not held up long. */
export const snapshotPageSize = 5_000

/** Log entries per read: each up to 1,000 changes (`lineLogChangesPerEntryMax`). */
export const logEntriesPerRead = 500

/** What the copy needs of a client: the snapshot script, and reading the log. */
export interface LineReader {
  snapshot(key: string, ...args: Array<string | number>): Promise<unknown>
  /** GET key as bytes: a step's bitmap, or null when there is none. */
  bitmap(key: string): Promise<Uint8Array | null>
  /** XRANGE key (after count: the entries after `afterId`, oldest first, as [id, [field, value]] pairs. */
  range(key: string, afterId: string, count: number): Promise<Array<[string, Array<string>]>>
}

/** The log's changes do not follow on from the copy: the log was trimmed, or the line's keys were lost. */
export class LogGap extends Error {
  override readonly name = "LogGap"
}

const numberIn = (record: string, text: string | undefined): number => {
  const value = Number(text)
  if (text === undefined || text === "" || !Number.isSafeInteger(value)) throw new MalformedLogEntry(record)
  return value
}

/** `member|seenMs|packed`, a pending or active entry; undefined for a lost one (the store passes it over). */
const entryOf = (record: string): readonly [string, SnapshotEntry] | undefined => {
  const fields = record.split("|")
  // token|seq|joinedAt|state|admittedAt|activeUntil; nothing for an entry that was lost.
  const [token, seq, , state, admitted, until] = fields.slice(2)
  if (token === undefined || token === "") return undefined
  return [
    tokenIdOfMember(fields[0]!),
    {
      sequence: numberIn(record, seq),
      state: state === "a" ? "a" : "p",
      admittedAtMs: admitted === "" || admitted === undefined ? null : numberIn(record, admitted),
      activeUntilMs: until === "" || until === undefined ? null : numberIn(record, until),
      seenAtMs: fields[1] === "" || fields[1] === undefined ? 0 : Number(fields[1])
    }
  ]
}

/**
 * Loads a page of waiters, `member,sequence,...`, into the copy, in place: a long line has a million of them, so
 * no string is made per record. A pending entry found in the waiting set was drawn there: its place is its score.
 */
const loadWaiters = (copy: LineCopy, page: string, sightings: StepSightings): void => {
  let start = 0
  while (start < page.length) {
    const afterToken = page.indexOf(",", start)
    let end = afterToken < 0 ? -1 : page.indexOf(",", afterToken + 1)
    if (end < 0) end = page.length
    let sequence = afterToken < 0 || afterToken + 1 >= end ? Number.NaN : 0
    for (let i = afterToken + 1; i < end && !Number.isNaN(sequence); i++) {
      const digit = page.charCodeAt(i) - 48
      sequence = digit >= 0 && digit <= 9 ? sequence * 10 + digit : Number.NaN
    }
    if (!Number.isSafeInteger(sequence) || afterToken - start <= userKeyLength) {
      throw new MalformedLogEntry(page.slice(start, end))
    }
    // The member's token key: its user's key is not kept.
    copy.loadWaiter(page, start, afterToken - userKeyLength, sequence, sightings.seenAtMsOf(sequence))
    start = end + 1
  }
}

const pairsOf = (flat: string): Array<readonly [string, number]> => {
  if (flat === "") return []
  const parts = flat.split(",")
  const pairs: Array<readonly [string, number]> = []
  for (let i = 0; i < parts.length; i += 2) pairs.push([tokenIdOfMember(parts[i]!), Number(parts[i + 1])])
  return pairs
}

/** The log entries after `afterId`, oldest first, and whether the read reached the end of the log. */
export const readLog = async (
  reader: LineReader,
  logKey: string,
  afterId: string,
  count = logEntriesPerRead
): Promise<{ readonly entries: Array<LineLogEntry>; readonly drained: boolean }> => {
  const raw = await reader.range(logKey, afterId, count)
  return { entries: raw.map(([id, fields]) => parseLogEntry(id, fields[1] ?? "")), drained: raw.length < count }
}

/** Whether stream entry id `a` comes after `b` (ids are `ms-sequence`, both numbers). */
export const isAfter = (a: string, b: string): boolean => {
  const [aMs, aSeq] = a.split("-").map(Number)
  const [bMs, bSeq] = b.split("-").map(Number)
  return aMs! > bMs! || (aMs === bMs && aSeq! > bSeq!)
}

/**
 * Applies log entries to a copy, in order, passing over those it holds already (two readers may both have read
 * them); fails with `LogGap` when an entry's counter does not follow the copy's (a trimmed log, or a line whose
 * keys were lost and started again).
 */
export const applyLog = (copy: LineCopy, entries: ReadonlyArray<LineLogEntry>, ordered: boolean): void => {
  for (const entry of entries) {
    if (!isAfter(entry.id, copy.lastId)) continue
    if (entry.counter !== copy.counter + 1) {
      throw new LogGap(`log entry ${entry.counter} after ${copy.counter}`)
    }
    copy.applyEntry(entry, ordered)
  }
}

/**
 * A copy of the line whose first key is `seqKey`, read from its keys and then brought up to the end of its
 * log. Fails with `LogGap` when the log lost entries it needed meanwhile (the caller tries again). Each page's
 * entries go straight into the copy's tables, so a long line is never held twice.
 */
export const readLine = async (reader: LineReader, seqKey: string): Promise<LineCopy> => {
  const logKey = `${seqKey.slice(0, -3)}log`
  const head = (await reader.snapshot(seqKey, "head")) as Array<string | number>
  const [
    maxActive,
    activeMs,
    rate,
    paused,
    soldOut,
    counter,
    lastId,
    admissions,
    waited,
    entryCount,
    steps,
    earliestSeen
  ] = head.map(String)
  const copy = LineCopy.fromHead(
    {
      counter: Number(counter),
      lastId: lastId!,
      settings:
        maxActive === ""
          ? null
          : { maxActive: Number(maxActive), activeMs: Number(activeMs), rate: Number(rate), paused: paused === "1" },
      soldOut: soldOut === "1",
      admissions: pairsOf(admissions!),
      waited: pairsOf(waited!),
      earliestSeenMs: earliestSeen === undefined || earliestSeen === "" ? null : Number(earliestSeen)
    },
    // Room for the line as it stood, and for some growth while it is read.
    Math.ceil(Number(entryCount ?? 0) * 1.1)
  )
  // The steps' bitmaps that the head listed, for when the store last saw each waiter. One read after another may
  // find a waiter's bit moved on between them, in neither: that waiter is answered as one the copy does not know.
  const stepMs = Limits.sightingStepSeconds * 1000
  const bitmaps = await Promise.all(
    (steps === undefined || steps === "" ? [] : steps.split(";")).map(async (listed) => {
      const [step, base] = listed.split(",").map(Number)
      const bitmap = await reader.bitmap(`${seqKey.slice(0, -3)}seen:${step}`)
      return { stepEndMs: step! * stepMs, base: base!, bitmap: bitmap ?? new Uint8Array(0) }
    })
  )
  const sightings = StepSightings.of(bitmaps)
  // The next page is asked for as soon as a page arrives, so Redis reads it while this one is loaded.
  type Page = [last: string, page: string, count: number]
  const waitersAfter = (bound: string) => reader.snapshot(seqKey, "waiting", bound, snapshotPageSize) as Promise<Page>
  let next: Promise<Page> | undefined = waitersAfter("-inf")
  while (next !== undefined) {
    const [last, page, count]: Page = await next
    next = count === snapshotPageSize ? waitersAfter(`(${last}`) : undefined
    try {
      loadWaiters(copy, page, sightings)
    } catch (error) {
      // The page asked for next is not awaited: its failure, if any, is this one's.
      next?.catch(() => {})
      throw error
    }
  }
  for (const part of ["pending", "active"] as const) {
    let cursor = "0"
    do {
      const [next, page] = (await reader.snapshot(seqKey, part, cursor, 1_000)) as [string, string]
      if (page !== "") {
        for (const record of page.split(";")) {
          const entry = entryOf(record)
          if (entry !== undefined) copy.loadEntry(entry[0], entry[1])
        }
      }
      cursor = next
    } while (cursor !== "0")
  }
  for (;;) {
    const { entries: read, drained } = await readLog(reader, logKey, copy.lastId)
    applyLog(copy, read, false)
    if (drained) break
  }
  copy.reorder()
  return copy
}
