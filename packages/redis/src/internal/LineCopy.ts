/**
 * An exact copy of one Redis line, kept by an instance from the line's log: who waits in what order, who is
 * active, the settings and the recent admissions. It answers a pending or waiting entry as the status script
 * would have at the last change it applied: a place is a rank in core's `WaitingLine`, the ETA core's rule
 * over the same numbers the script reads. Pure: the follower feeds it, the decorated `Queue` asks it.
 */
import {
  admissionWindowMs,
  type ConcertId,
  etaSeconds,
  Limits,
  QueueEntry,
  type QueuePolicy,
  type QueueTokenId,
  queueStatusOf,
  rateCapPredecessorIndex,
  type UserId,
  WaitingLine,
  waitedAdmissionsOf
} from "@boxoffice/core"
import { DateTime } from "effect"
import type { LineChange, LineLogEntry } from "./LineLog.ts"

/** One entry of the line, as the copy keeps it: only live ones (an ended token is asked of the store). */
interface CopiedEntry {
  readonly userId: string
  sequence: number
  readonly joinedAtMs: number
  state: "p" | "w" | "a"
  admittedAtMs: number | null
  activeUntilMs: number | null
}

/** The operator's settings, once changed, as the scripts keep them (rate 0: no cap). */
export interface CopiedSettings {
  readonly maxActive: number
  readonly activeMs: number
  readonly rate: number
  readonly paused: boolean
}

/** What a snapshot of the line's keys holds, read by the follower in chunks (see `snapshotScript`). */
export interface LineSnapshot {
  /** The log counter and the last log entry's id when the snapshot began: the replay starts after it. */
  readonly counter: number
  readonly lastId: string
  readonly settings: CopiedSettings | null
  readonly soldOut: boolean
  /** Token and time of each admission still in the rate cap's window, and of the ETA's waited sample. */
  readonly admissions: ReadonlyArray<readonly [string, number]>
  readonly waited: ReadonlyArray<readonly [string, number]>
  readonly entries: ReadonlyArray<readonly [string, SnapshotEntry]>
}

/** An entry as the snapshot read it; `state` as the scripts store it, a drawn pending one already `w`. */
export interface SnapshotEntry {
  readonly userId: string
  readonly sequence: number
  readonly joinedAtMs: number
  readonly state: "p" | "w" | "a"
  readonly admittedAtMs: number | null
  readonly activeUntilMs: number | null
}

/**
 * Times, with the token each belongs to, in the order of a Redis sorted set: by time, then by token. Keyed by
 * token, as the set is, so a change replayed over a snapshot that holds it already adds nothing.
 */
class TimedTokens {
  private readonly timeByToken = new Map<string, number>()
  /** Ascending by (time, token) from `start`; what is before `start` was dropped. */
  private ordered: Array<readonly [number, string]> = []
  private start = 0

  get size(): number {
    return this.ordered.length - this.start
  }

  add(tokenId: string, timeMs: number): void {
    if (this.timeByToken.has(tokenId)) return
    this.timeByToken.set(tokenId, timeMs)
    // Nearly always the latest: the scan from the end stops at once.
    let at = this.ordered.length
    while (at > this.start) {
      const [time, token] = this.ordered[at - 1]!
      if (time < timeMs || (time === timeMs && token < tokenId)) break
      at--
    }
    if (at === this.ordered.length) this.ordered.push([timeMs, tokenId])
    else this.ordered.splice(at, 0, [timeMs, tokenId])
  }

  /** Keeps the latest `count`, as ZREMRANGEBYRANK from rank 0 does. */
  keepLatest(count: number): void {
    if (this.size > count) this.dropFront(this.size - count)
  }

  /** Drops the times at or before `cutoffMs`. */
  dropUpTo(cutoffMs: number): void {
    this.dropFront(this.firstAfter(cutoffMs))
  }

  /** The index (from the oldest kept) of the first time after `cutoffMs`. */
  firstAfter(cutoffMs: number): number {
    let low = this.start
    let high = this.ordered.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.ordered[middle]![0] <= cutoffMs) low = middle + 1
      else high = middle
    }
    return low - this.start
  }

  timeAt(index: number): number {
    return this.ordered[this.start + index]![0]
  }

  times(): Array<number> {
    const times: Array<number> = []
    for (let i = this.start; i < this.ordered.length; i++) times.push(this.ordered[i]![0])
    return times
  }

  /** Drops the oldest `count`: O(1) amortized, the array compacted once most of it is dropped. */
  private dropFront(count: number): void {
    for (let i = this.start; i < this.start + count; i++) this.timeByToken.delete(this.ordered[i]![1])
    this.start += count
    if (this.start * 2 >= this.ordered.length) {
      this.ordered = this.ordered.slice(this.start)
      this.start = 0
    }
  }
}

/**
 * The copy of one line.
 *
 * @example
 * ```ts
 * const copy = new LineCopy()
 * copy.applyEntry(parseLogEntry("1-0", "1,1000;j,t1,u1,1,1000,w"))
 * copy.answer(concertId, "t1", policy, 1000) // waiting, position 1
 * ```
 */
export class LineCopy {
  private entries = new Map<string, CopiedEntry>()
  private line = new WaitingLine()
  private activeCount = 0
  private settings: CopiedSettings | null = null
  private soldOut = false
  private readonly admissions = new TimedTokens()
  private readonly waited = new TimedTokens()
  /** The last log entry applied: its counter and its id. */
  counter = 0
  lastId = "0-0"

  /** A copy of the line as a snapshot read it; the log after `snapshot.lastId` is replayed on top. */
  static fromSnapshot(snapshot: LineSnapshot): LineCopy {
    const copy = new LineCopy()
    copy.counter = snapshot.counter
    copy.lastId = snapshot.lastId
    copy.settings = snapshot.settings
    copy.soldOut = snapshot.soldOut
    for (const [token, atMs] of snapshot.admissions) copy.admissions.add(token, atMs)
    for (const [token, atMs] of snapshot.waited) copy.waited.add(token, atMs)
    for (const [token, entry] of snapshot.entries) copy.entries.set(token, { ...entry })
    return copy
  }

  /** How many are waiting, pending and active. */
  get sizes(): { readonly waiting: number; readonly pending: number; readonly active: number } {
    return {
      waiting: this.line.size,
      pending: this.entries.size - this.line.size - this.activeCount,
      active: this.activeCount
    }
  }

  /**
   * Applies a log entry's changes in order. Applied to a copy built from a snapshot, several changes may be
   * ones the snapshot holds already: each sets what it names, so the copy still ends where the line is.
   * `ordered: false` leaves the waiting line to `reorder` (a replay over a snapshot: places out of order).
   */
  applyEntry(entry: LineLogEntry, ordered = true): void {
    for (const change of entry.changes) this.apply(change, entry.atMs, ordered)
    this.counter = entry.counter
    this.lastId = entry.id
  }

  /** Builds the waiting line afresh from the entries, in sequence order: O(n log n). */
  reorder(): void {
    const sequences: Array<number> = []
    let active = 0
    for (const entry of this.entries.values()) {
      if (entry.state === "w") sequences.push(entry.sequence)
      else if (entry.state === "a") active++
    }
    sequences.sort((a, b) => a - b)
    this.line = WaitingLine.fromSorted(sequences)
    this.activeCount = active
  }

  private apply(change: LineChange, atMs: number, ordered: boolean): void {
    switch (change.kind) {
      case "joined": {
        this.leave(change.tokenId, ordered)
        this.entries.set(change.tokenId, {
          userId: change.userId,
          sequence: change.sequence,
          joinedAtMs: change.joinedAtMs,
          state: change.pending ? "p" : "w",
          admittedAtMs: null,
          activeUntilMs: null
        })
        if (!change.pending && ordered) this.line.insert(change.sequence)
        return
      }
      case "admitted": {
        const entry = this.entries.get(change.tokenId)
        this.admissions.add(change.tokenId, change.admittedAtMs)
        this.admissions.dropUpTo(atMs - admissionWindowMs)
        if (change.waited) {
          this.waited.add(change.tokenId, change.admittedAtMs)
          this.waited.keepLatest(Limits.etaSampleSize)
        }
        if (entry === undefined) return
        if (ordered && entry.state === "w") this.line.remove(entry.sequence)
        if (ordered && entry.state !== "a") this.activeCount++
        entry.state = "a"
        entry.sequence = change.sequence
        entry.admittedAtMs = change.admittedAtMs
        entry.activeUntilMs = change.activeUntilMs
        return
      }
      case "ended":
        this.leave(change.tokenId, ordered)
        return
      case "drawn": {
        for (let i = 0; i < change.tokenIds.length; i++) {
          const entry = this.entries.get(change.tokenIds[i]!)
          if (entry === undefined || entry.state !== "p") continue
          entry.state = "w"
          entry.sequence = change.firstSequence + i
          if (ordered) this.line.insert(entry.sequence)
        }
        return
      }
      case "settings":
        this.settings = {
          maxActive: change.maxActive,
          activeMs: change.activeMs,
          rate: change.rate,
          paused: change.paused
        }
        return
      case "soldOut":
        this.soldOut = change.soldOut
        return
    }
  }

  /** Forgets an entry, and its place or slot. */
  private leave(tokenId: string, ordered: boolean): void {
    const entry = this.entries.get(tokenId)
    if (entry === undefined) return
    this.entries.delete(tokenId)
    if (!ordered) return
    if (entry.state === "w") this.line.remove(entry.sequence)
    else if (entry.state === "a") this.activeCount--
  }

  /**
   * The entry as the status script would answer it at `nowMs` over the line as the copy has it, or undefined
   * when the copy does not answer for it: a token it does not hold (ended, or joined after the copy's last
   * change), or an active one, whose answer decides (L6) and is asked of the store.
   */
  answer(concertId: ConcertId, tokenId: QueueTokenId, policy: QueuePolicy, nowMs: number): QueueEntry | undefined {
    const entry = this.entries.get(tokenId)
    // An active entry's answer decides (L6), and a lost one (an evicted entry still in the line) is the store's.
    if (entry === undefined || entry.state === "a" || entry.userId === "") return undefined
    // A pending or waiting entry of a line marked sold out has no place and no ETA.
    const status = queueStatusOf(entry.state === "w" ? "waiting" : "pending", this.soldOut)
    const position = status === "waiting" ? this.line.position(entry.sequence) : null
    return QueueEntry.trusted({
      tokenId,
      concertId,
      userId: entry.userId as UserId,
      joinSequence: entry.sequence,
      joinedAt: DateTime.makeUnsafe(entry.joinedAtMs),
      status,
      position,
      etaSeconds: position === null ? null : this.etaOf(policy, position, nowMs),
      admittedAt: null,
      activeUntil: null,
      opensAt: policy.opensAt ?? null
    })
  }

  /** The place of a waiting token, or null: for tests and the follower's checks. */
  positionOf(tokenId: string): number | null {
    const entry = this.entries.get(tokenId)
    return entry?.state === "w" ? this.line.position(entry.sequence) : null
  }

  /** The state the copy holds for a token: `p`, `w`, `a`, or undefined. */
  stateOf(tokenId: string): "p" | "w" | "a" | undefined {
    return this.entries.get(tokenId)?.state
  }

  /** Core's ETA over what the status script reads: the settings in force, the waited sample, the rate cap's window. */
  private etaOf(policy: QueuePolicy, position: number, nowMs: number): number {
    const live = this.settings
    const rate = live === null ? (policy.admitPerMinute ?? 0) : live.rate
    const inForce = {
      maxActive: live === null ? policy.maxActive : live.maxActive,
      activeSeconds: live === null ? policy.activeSeconds : live.activeMs / 1000,
      admitPerMinute: rate > 0 ? rate : null
    }
    const rateCapWindow =
      rate > 0
        ? (() => {
            // core's rateCapWindowOf, by a binary search: a window may hold tens of thousands of admissions.
            const first = this.admissions.firstAfter(nowMs - admissionWindowMs)
            const count = this.admissions.size - first
            const index = rateCapPredecessorIndex(position, rate, count)
            return { count, predecessorMs: index < 0 ? null : this.admissions.timeAt(first + index) }
          })()
        : undefined
    return etaSeconds({
      policy: inForce,
      nowMs,
      position,
      activeCount: this.activeCount,
      waitedAdmissions: waitedAdmissionsOf(this.waited.times(), nowMs),
      ...(rateCapWindow === undefined ? {} : { rateCapWindow })
    })
  }
}
