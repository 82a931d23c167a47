/**
 * An exact copy of one Redis line, kept by an instance from the line's log: who waits in what order, who is
 * active, the settings and the recent admissions. It answers a pending or waiting entry as the status script
 * would have at the last change it applied: a place is a rank in core's `WaitingLine`, the ETA core's rule
 * over the same numbers the script reads. Pure: the follower feeds it, the decorated `Queue` asks it.
 */
import {
  admissionsAllowed,
  admissionWindowMs,
  type ConcertId,
  isSaleOpen,
  opensAtMsOf,
  etaSeconds,
  Limits,
  QueueEntry,
  type QueuePolicy,
  type QueueTokenClaims,
  type QueueTokenId,
  queueStatusOf,
  rateCapPredecessorIndex,
  WaitingLine,
  waitedAdmissionsOf
} from "@boxoffice/core"
import { DateTime } from "effect"
import { CopiedEntries, type CopiedState } from "./CopiedEntries.ts"
import type { LineChange, LineLogEntry } from "./LineLog.ts"

/**
 * How often a waiter answered from a copy is reported to the store as seen, at most: well inside the 300 s grace
 * (`Limits.waitingGraceSeconds`), so a waiter who polls keeps their place, and rare enough that reports cost the
 * store little (10^6 waiters: about 17,000 tokens a second, a thousand to a call). A copy read from the keys does
 * not know when its waiters were last seen: it reports each at its first answer, at the next tick, and a waiter
 * whose grace ends within that tick may still be ended (decision 86).
 */
export const seenReportIntervalMs = 60_000

/**
 * How long after the store last saw a waiter (as far as this instance knows) a copy still answers for them: the
 * grace less two report intervals. A copy's answer refreshes the waiter in the store only when its report lands,
 * up to a report interval and a flush later, so the copy stops this far short of the grace; a waiter last seen
 * before that is answered by the store, whose poll sees them at once, as it always has.
 */
export const copyAnswersWithinSeenMs = Limits.waitingGraceSeconds * 1000 - 2 * seenReportIntervalMs

/** The operator's settings, once changed, as the scripts keep them (rate 0: no cap). */
export interface CopiedSettings {
  readonly maxActive: number
  readonly activeMs: number
  readonly rate: number
  readonly paused: boolean
}

/** What a snapshot's head holds, read by the follower before the entries (see `snapshotScript`). */
export interface LineSnapshotHead {
  /** The log counter and the last log entry's id when the snapshot began: the replay starts after it. */
  readonly counter: number
  readonly lastId: string
  readonly settings: CopiedSettings | null
  readonly soldOut: boolean
  /** Token and time of each admission still in the rate cap's window, and of the ETA's waited sample. */
  readonly admissions: ReadonlyArray<readonly [string, number]>
  readonly waited: ReadonlyArray<readonly [string, number]>
  /**
   * The earliest score in `seen` when the snapshot began (null: none): a bound on the last sighting of a waiter the
   * snapshot finds in no step's bitmap (one drawn at the opening).
   */
  readonly earliestSeenMs: number | null
}

/** A pending or active entry as the snapshot read it; waiters come from the waiting set alone (`loadWaiter`). */
export interface SnapshotEntry {
  readonly sequence: number
  readonly state: "p" | "a"
  readonly admittedAtMs: number | null
  readonly activeUntilMs: number | null
  /** When the store last saw a pending entry (its score in `seen`); 0 when not known, so the store answers. */
  readonly seenAtMs: number
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
 * copy.answer(concertId, "t1", claims, policy, 1000) // waiting, position 1
 * ```
 */
export class LineCopy {
  private entries: CopiedEntries
  private line = new WaitingLine()
  private activeCount = 0
  /** The active windows' ends, ascending: how many have run out by a time is a binary search. */
  private activeUntils: Array<number> = []
  private settings: CopiedSettings | null = null
  private soldOut = false
  private readonly admissions = new TimedTokens()
  private readonly waited = new TimedTokens()
  /**
   * Until when a waiter whose last sighting this copy does not know (read from the keys) is still in the store's
   * line for certain: the snapshot's earliest score in `seen` plus the grace. After it such a waiter may be past the
   * grace, so the store answers.
   */
  private unknownSeenAnswerableUntilMs = Number.POSITIVE_INFINITY
  /** The last log entry applied: its counter and its id. */
  counter = 0
  lastId = "0-0"

  /** An empty copy, with room for `expectedEntries` before its tables grow. */
  constructor(expectedEntries?: number) {
    this.entries = new CopiedEntries(expectedEntries)
  }

  /**
   * A copy that starts from a snapshot's head; the snapshot's waiters and entries are loaded into it
   * (`loadWaiter`, `loadEntry`), then the log after `head.lastId` is replayed on top, unordered, and `reorder`
   * lays out the line.
   */
  static fromHead(head: LineSnapshotHead, expectedEntries: number): LineCopy {
    const copy = new LineCopy(expectedEntries)
    copy.counter = head.counter
    copy.lastId = head.lastId
    copy.settings = head.settings
    copy.soldOut = head.soldOut
    if (head.earliestSeenMs !== null) {
      copy.unknownSeenAnswerableUntilMs = head.earliestSeenMs + Limits.waitingGraceSeconds * 1000
    }
    for (const [token, atMs] of head.admissions) copy.admissions.add(token, atMs)
    for (const [token, atMs] of head.waited) copy.waited.add(token, atMs)
    return copy
  }

  /** A pending or active entry as a snapshot read it; the line is laid out by `reorder`. */
  loadEntry(token: string, entry: SnapshotEntry): void {
    const held = this.entries.slotOf(token)
    if (held >= 0) this.entries.remove(held)
    const slot = this.entries.add(token, entry.sequence, entry.state, entry.seenAtMs)
    if (entry.state === "a") this.entries.setWindow(slot, entry.admittedAtMs ?? 0, entry.activeUntilMs ?? 0)
  }

  /**
   * A waiter as a snapshot read it from the waiting set, its token `text[from, to)`: its place, and when the store
   * last saw them by their step's bitmap (undefined: in none, so the copy learns it when it answers the waiter and
   * reports them at once, or when the store does).
   */
  loadWaiter(text: string, from: number, to: number, sequence: number, seenAtMs: number | undefined): void {
    this.entries.putWaiter(text, from, to, sequence, seenAtMs)
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
    const sequences = this.entries.sequencesIn("w")
    const untils = this.entries.activeUntilsMs()
    sequences.sort()
    untils.sort((a, b) => a - b)
    this.line = WaitingLine.fromSorted(sequences)
    this.activeCount = untils.length
    this.activeUntils = untils
  }

  private apply(change: LineChange, atMs: number, ordered: boolean): void {
    const entries = this.entries
    switch (change.kind) {
      case "joined": {
        this.leave(change.tokenId, ordered)
        entries.add(change.tokenId, change.sequence, change.pending ? "p" : "w", change.joinedAtMs)
        if (!change.pending && ordered) this.line.insert(change.sequence)
        return
      }
      case "admitted": {
        const slot = entries.slotOf(change.tokenId)
        this.admissions.add(change.tokenId, change.admittedAtMs)
        this.admissions.dropUpTo(atMs - admissionWindowMs)
        if (change.waited) {
          this.waited.add(change.tokenId, change.admittedAtMs)
          this.waited.keepLatest(Limits.etaSampleSize)
        }
        if (slot < 0) return
        const state = entries.state(slot)
        if (ordered && isWaiting(state)) this.line.remove(entries.sequence(slot))
        if (ordered && state === "a") removeSorted(this.activeUntils, entries.window(slot)!.activeUntilMs)
        if (ordered && state !== "a") this.activeCount++
        if (ordered) insertSorted(this.activeUntils, change.activeUntilMs)
        entries.setState(slot, "a")
        entries.setSequence(slot, change.sequence)
        entries.setWindow(slot, change.admittedAtMs, change.activeUntilMs)
        return
      }
      case "ended":
        this.leave(change.tokenId, ordered)
        return
      case "drawn": {
        for (let i = 0; i < change.tokenIds.length; i++) {
          const slot = entries.slotOf(change.tokenIds[i]!)
          if (slot < 0 || entries.state(slot) !== "p") continue
          entries.setState(slot, "w")
          entries.setSequence(slot, change.firstSequence + i)
          if (ordered) this.line.insert(change.firstSequence + i)
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
    const slot = this.entries.slotOf(tokenId)
    if (slot < 0) return
    if (ordered) {
      const state = this.entries.state(slot)
      if (isWaiting(state)) this.line.remove(this.entries.sequence(slot))
      else if (state === "a") {
        this.activeCount--
        removeSorted(this.activeUntils, this.entries.window(slot)!.activeUntilMs)
      }
    }
    this.entries.remove(slot)
  }

  /**
   * The entry as the status script would answer it at `nowMs`, or undefined when the copy does not answer for it:
   * a token it does not hold (ended, or joined after the copy's last change), an active one (its answer decides,
   * L6, and is the store's), or one whose answer the admission step at `nowMs` would change in a way
   * the copy cannot know (the waiter's own admission, the opening draw). `holder` holds the token's claims, signed
   * from the entry: its user and issue time are the entry's user and join time, which the copy does not keep.
   *
   * The copy stands where the line stood at its last change; the store's next call runs the admission step at its
   * own time first. So the copy runs that step's arithmetic at `nowMs` (core's `admissionsAllowed`, over the
   * windows still running then and the rate cap's window then) and answers each waiter as those admissions would
   * leave them: `k` admissions move everyone `k` places up, and the first `k` are the store's to admit.
   */
  answer(
    concertId: ConcertId,
    tokenId: QueueTokenId,
    holder: QueueTokenClaims,
    policy: QueuePolicy,
    nowMs: number
  ): QueueEntry | undefined {
    const slot = this.entries.slotOf(tokenId)
    if (slot < 0) return undefined
    const state = this.entries.state(slot)
    // An active entry's answer decides (L6): the store's.
    if (state === "a") return undefined
    // Near the grace by what this instance knows, the waiter may be gone or about to be: the store judges and sees.
    // A waiter whose last-seen time the copy does not know is answered, and reported at once (`noteSeen`), while
    // the snapshot's earliest score in seen says the store holds every such waiter it read.
    const seenAtMs = this.entries.seenAtMs(slot)
    if (seenAtMs !== undefined && nowMs - seenAtMs > copyAnswersWithinSeenMs) return undefined
    if (seenAtMs === undefined && nowMs >= this.unknownSeenAnswerableUntilMs) return undefined
    const sequence = this.entries.sequence(slot)
    const opensAtMs = opensAtMsOf(policy)
    const open = isSaleOpen(opensAtMs, nowMs)
    // At the opening the store draws the pending entries in an order only it knows.
    if (state === "p" && open && !this.soldOut) return undefined
    // A pending or waiting entry of a line marked sold out has no place and no ETA.
    const status = queueStatusOf(state === "w" ? "waiting" : "pending", this.soldOut)
    let position: number | null = null
    let etaSecondsValue: number | null = null
    if (status === "waiting") {
      const inForce = this.policyInForce(policy)
      const runOut = countUpTo(this.activeUntils, nowMs)
      const windowStart = this.admissions.firstAfter(nowMs - admissionWindowMs)
      const admitting = admissionsAllowed({
        policy: inForce,
        paused: this.settings?.paused ?? false,
        soldOut: this.soldOut,
        opensAtMs,
        nowMs,
        activeCount: this.activeCount - runOut,
        waitingCount: this.line.size + (open ? this.entries.size - this.line.size - this.activeCount : 0),
        admissionTimesMs: [],
        admittedInWindow: this.admissions.size - windowStart
      })
      const rank = this.line.position(sequence)!
      if (rank <= admitting) return undefined
      position = rank - admitting
      etaSecondsValue = this.etaOf(inForce, position, nowMs, this.activeCount - runOut + admitting, admitting)
    }
    return QueueEntry.trusted({
      tokenId,
      concertId,
      userId: holder.userId,
      joinSequence: sequence,
      joinedAt: DateTime.makeUnsafe(holder.issuedAtMs),
      status,
      position,
      etaSeconds: etaSecondsValue,
      admittedAt: null,
      activeUntil: null,
      opensAt: policy.opensAt ?? null
    })
  }

  /** The store saw the waiter at `nowMs` (a poll it answered itself). */
  seenByStore(tokenId: string, nowMs: number): void {
    const slot = this.entries.slotOf(tokenId)
    if (slot < 0) return
    const seenAtMs = this.entries.seenAtMs(slot)
    if (seenAtMs === undefined || nowMs > seenAtMs) this.entries.setSeenAtMs(slot, nowMs)
  }

  /**
   * Notes that the waiter was answered at `nowMs`, and says whether the store should hear of it: `due` once a
   * report interval has passed (`seenReportIntervalMs`), `urgent` when the copy did not know when the store last
   * saw them (their grace may be nearly over), `none` otherwise. A report said counts as done.
   */
  noteSeen(tokenId: string, nowMs: number): "none" | "due" | "urgent" {
    const slot = this.entries.slotOf(tokenId)
    if (slot < 0) return "none"
    const seenAtMs = this.entries.seenAtMs(slot)
    if (seenAtMs !== undefined && nowMs - seenAtMs < seenReportIntervalMs) return "none"
    this.entries.setSeenAtMs(slot, nowMs)
    return seenAtMs === undefined ? "urgent" : "due"
  }

  /** The place of a waiting token, or null: for tests and the follower's checks. */
  positionOf(tokenId: string): number | null {
    const slot = this.entries.slotOf(tokenId)
    return slot >= 0 && isWaiting(this.entries.state(slot)) ? this.line.position(this.entries.sequence(slot)) : null
  }

  /** The state the copy holds for a token: `p`, `w`, `a`, or undefined. */
  stateOf(tokenId: string): "p" | "w" | "a" | undefined {
    const slot = this.entries.slotOf(tokenId)
    return slot < 0 ? undefined : this.entries.state(slot)
  }

  /** Bytes held by the copy's typed arrays: its entries and its line. */
  get retainedBytes(): number {
    return this.entries.retainedBytes + this.line.retainedBytes
  }

  /** The settings in force: the operator's once changed, else the concert's policy (as the scripts read them). */
  private policyInForce(policy: QueuePolicy) {
    const live = this.settings
    if (live === null) return policy
    return {
      maxActive: live.maxActive,
      activeSeconds: live.activeMs / 1000,
      admitPerMinute: live.rate > 0 ? live.rate : null
    }
  }

  /**
   * Core's ETA over what the status script reads, after `admitting` admissions at `nowMs`: the settings in force,
   * the active count, the waited sample and the rate cap's window, each with those admissions in it.
   */
  private etaOf(
    inForce: { readonly maxActive: number; readonly activeSeconds: number; readonly admitPerMinute: number | null },
    position: number,
    nowMs: number,
    activeCount: number,
    admitting: number
  ): number {
    const rate = inForce.admitPerMinute
    const waitedTimes = this.waited.times()
    for (let i = 0; i < admitting; i++) waitedTimes.push(nowMs)
    const rateCapWindow =
      rate === null
        ? undefined
        : (() => {
            // core's rateCapWindowOf, by a binary search: a window may hold tens of thousands of admissions.
            const first = this.admissions.firstAfter(nowMs - admissionWindowMs)
            const held = this.admissions.size - first
            const count = held + admitting
            const index = rateCapPredecessorIndex(position, rate, count)
            const predecessorMs = index < 0 ? null : index < held ? this.admissions.timeAt(first + index) : nowMs
            return { count, predecessorMs }
          })()
    return etaSeconds({
      policy: inForce,
      nowMs,
      position,
      activeCount,
      waitedAdmissions: waitedAdmissionsOf(waitedTimes, nowMs),
      ...(rateCapWindow === undefined ? {} : { rateCapWindow })
    })
  }
}

/** A waiter holds a place in line. */
const isWaiting = (state: CopiedState): boolean => state === "w"

/** How many of the ascending `values` are at most `bound`. */
const countUpTo = (values: ReadonlyArray<number>, bound: number): number => {
  let low = 0
  let high = values.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (values[middle]! <= bound) low = middle + 1
    else high = middle
  }
  return low
}

/** Inserts into ascending `values`: O(1) for the latest, as windows nearly always are. */
const insertSorted = (values: Array<number>, value: number): void => {
  const at = countUpTo(values, value)
  if (at === values.length) values.push(value)
  else values.splice(at, 0, value)
}

/** Removes one occurrence of `value` from ascending `values`. */
const removeSorted = (values: Array<number>, value: number): void => {
  const at = countUpTo(values, value) - 1
  if (at >= 0 && values[at] === value) values.splice(at, 1)
}
