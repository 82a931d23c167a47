/**
 * The copies of the Redis lines one instance serves, and the `Queue` that answers polls from them (issue 38).
 *
 * A line is followed once a poll of it found a pending or waiting entry. Every `tickMs` the instance runs the
 * line's tick script: the admission step (so admissions, expiries, abandonment and the opening draw happen on time
 * with nobody polling the store) and the line's log since the copy's last entry, which the copy applies. The copy
 * is fresh as of the time the tick was sent once it has applied the log up to the counter the tick answered.
 *
 * A status read marked `QueueStatusForDisplay` (a poll, an event stream) is answered from the copy when the copy
 * is fresh within `stalenessMs`, has caught up with this instance's own writes to the line, and can answer for the
 * entry (see `LineCopy.answer`); any other read, and every call that decides, goes to the store. Waiters answered
 * from a copy are reported to the store as seen, in batches, at most once a minute each, so they keep their place.
 */
import {
  type ConcertId,
  type Queue,
  type QueueEntry,
  type QueuePolicy,
  QueueStatusForDisplay,
  type QueueTokenClaims
} from "@boxoffice/core"
import { Clock, Effect, Option, type Scope } from "effect"
import type { QueueWrites } from "../Queue.ts"
import type { LineCopy } from "./LineCopy.ts"
import { MalformedLogEntry, parseLogEntry } from "./LineLog.ts"
import { applyLog, LogGap, type LineReader, logEntriesPerRead, readLine } from "./LineSnapshot.ts"
import { memberOf, queueKeyOf } from "./LineKeys.ts"

/** @category models */
export interface LineCopiesOptions {
  /**
   * How old, at most, the state a poll is answered from may be, in ms: a copy whose last confirmed state is older
   * (Redis unreachable, the instance starved) sends polls to the store. Default 1,000.
   */
  readonly stalenessMs?: number
  /**
   * How often each followed line is ticked, in ms: how late an admission due by time may happen with nobody
   * calling, and how long a change takes to reach the copies. Default 50 (20 calls a second per line and
   * instance), so that a change reaches every copy within 100 ms.
   */
  readonly tickMs?: number
}

/** Lines one instance follows at most: each costs Redis a tick per `tickMs`, and a sale's instance serves a few. */
export const followedLinesMax = 32

/** A line nobody polled on this instance for this long is no longer followed (its copy is dropped). */
export const lineIdleMs = 60_000

/** Waiters per report of seen waiters: one script call, a few ms of Redis at most. */
const seenPerReportMax = 1_000

/**
 * How often a line's seen waiters are reported, at most: their grace is 300 s, so a second's delay is nothing. A
 * waiter the copy answered without knowing when the store last saw them is reported at the next tick.
 */
const seenReportEveryMs = 1_000

/**
 * Reports a line sends in one tick, at most: 10,000 waiters a tick is 200,000 a second at 50-ms ticks (10^6
 * waiters polling every 5 s, each answered first by a copy just read), and the tick is not held up for longer.
 */
const seenReportsPerTickMax = 10

/** How long one blocking read of the logs waits for a change: a line followed meanwhile joins the next read. */
const blockingReadMs = 500

/** A connection of the copies' own for blocking reads of the logs (one Redis only), as `XREAD BLOCK` answers. */
export interface BlockingReader {
  readonly xread: (...args: Array<string | number>) => Promise<Array<[string, Array<[string, Array<string>]>]> | null>
  readonly disconnect: () => void
}

/** The calls the copies make of each line (see `lineCallsOf`). */
export interface LineCalls {
  readonly tick: (
    concertId: ConcertId,
    now: string,
    policy: QueuePolicy,
    afterId: string,
    count: number
  ) => Promise<Array<string | number>>
  readonly seen: (
    concertId: ConcertId,
    now: string,
    policy: QueuePolicy,
    members: ReadonlyArray<string>
  ) => Promise<number>
}

interface FollowedLine {
  readonly concertId: ConcertId
  readonly seqKey: string
  readonly logKey: string
  copy: LineCopy | undefined
  /** Store time of the last tick whose changes the copy has applied; -Infinity before the first. */
  freshAtMs: number
  /** The log counter of this instance's last write that others may read; the copy answers once it holds it. */
  requiredCounter: number
  /** Such writes of this instance under way: the copy does not answer meanwhile (the write may be done already). */
  writesInFlight: number
  /** When a poll last asked for the line, by `performance.now()`. */
  askedAtMs: number
  /** The concert's policy and the clock, as the last poll passed them: the tick runs under them. */
  policy: QueuePolicy
  clock: Clock.Clock
  /** Waiters answered from the copy that the store should hear of, by member (`LineKeys.memberOf`). */
  seen: Array<string>
  /** A waiter in `seen` was answered without the copy knowing when the store last saw them: report at the next tick. */
  seenUrgent: boolean
  seenReportedAtMs: number
  /** A tick, a catch-up or a rebuild is under way. */
  busy: boolean
}

/** What the decorated `Queue` asks of the copies, and what the store's queue tells them (`QueueWrites`). */
export interface LineCopies extends QueueWrites {
  /** The entry as the copy answers it now to the token's holder, or undefined: the store answers. */
  readonly answer: (
    concertId: ConcertId,
    tokenId: string,
    holder: QueueTokenClaims,
    policy: QueuePolicy,
    clock: Clock.Clock
  ) => QueueEntry | undefined
  /** The store answered the waiter itself at `nowMs`, and so saw them. */
  readonly seenByStore: (concertId: ConcertId, tokenId: string, nowMs: number) => void
  /** Starts following the line, if it is not followed and there is room. */
  readonly follow: (concertId: ConcertId, policy: QueuePolicy, clock: Clock.Clock) => void
  /** The lines followed, each with its copy and whether a poll would be answered from it now: for tests. */
  readonly followed: () => ReadonlyArray<{
    readonly concertId: ConcertId
    readonly copy: LineCopy | undefined
    readonly answering: boolean
    /** How old the copy's last confirmed state is now, by the calls' clock: its staleness. */
    readonly staleMs: number
  }>
}

/** A real timer, not Effect's Clock, which a test may hold still. */
const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * The copies of one instance, their tick loop running until the scope closes.
 *
 * @example
 * ```ts
 * const copies = yield* makeLineCopies({ keyPrefix: "boxoffice:", calls, reader, stalenessMs: 1_000 })
 * const decorated = withLineCopies(queue, copies)
 * ```
 */
export const makeLineCopies = (options: {
  readonly keyPrefix: string
  readonly clock: "server" | "effect"
  readonly calls: LineCalls
  readonly reader: LineReader
  /**
   * With one Redis, a connection for blocking reads of the followed lines' logs: a change then reaches the copy
   * within a round trip rather than at the next tick. A cluster's copies read at their ticks only.
   */
  readonly blocking?: BlockingReader
  readonly copies?: LineCopiesOptions
}): Effect.Effect<LineCopies, never, Scope.Scope> =>
  Effect.gen(function* () {
    const stalenessMs = options.copies?.stalenessMs ?? 1_000
    const tickMs = options.copies?.tickMs ?? 50
    const lines = new Map<ConcertId, FollowedLine>()
    /** The scripts' ARGV[1]: the caller's clock in tests that move time by hand, else '' for Redis's own. */
    const timeArgument = (nowMs: number) => (options.clock === "effect" ? String(nowMs) : "")

    /** Reads the log on from the copy's last entry until it holds `counter`; false when the log ends short. */
    const catchUp = async (line: FollowedLine, copy: LineCopy, counter: number) => {
      while (copy.counter < counter) {
        const raw = await options.reader.range(line.logKey, copy.lastId, logEntriesPerRead)
        if (raw.length === 0) return false
        applyLog(
          copy,
          raw.map(([id, fields]) => parseLogEntry(id, fields[1] ?? "")),
          true
        )
      }
      return true
    }

    const tickLine = async (line: FollowedLine) => {
      // Waiters seen first, so that the admission step after them does not take them for gone.
      const seenAtMs = line.clock.currentTimeMillisUnsafe()
      if (
        line.seen.length > 0 &&
        (line.seenUrgent || seenAtMs - line.seenReportedAtMs >= seenReportEveryMs || seenAtMs < line.seenReportedAtMs)
      ) {
        line.seenReportedAtMs = seenAtMs
        // Up to a tick's budget at once, sent together; what is left (a copy just read answering everyone) goes at
        // the next ticks. A report that fails is kept for the next tick.
        const batches: Array<Array<string>> = []
        while (line.seen.length > 0 && batches.length < seenReportsPerTickMax) {
          batches.push(line.seen.splice(0, seenPerReportMax))
        }
        line.seenUrgent = line.seenUrgent && line.seen.length > 0
        const sent = await Promise.allSettled(
          batches.map((seen) => options.calls.seen(line.concertId, timeArgument(seenAtMs), line.policy, seen))
        )
        const failed = sent.flatMap((outcome, i) => (outcome.status === "rejected" ? batches[i]! : []))
        if (failed.length > 0) {
          line.seen.unshift(...failed)
          line.seenUrgent = true
          throw (sent.find((outcome) => outcome.status === "rejected") as PromiseRejectedResult).reason
        }
      }
      if (line.copy === undefined) line.copy = await readLine(options.reader, line.seqKey)
      const copy = line.copy
      const sentAtMs = line.clock.currentTimeMillisUnsafe()
      const reply = await options.calls.tick(
        line.concertId,
        timeArgument(sentAtMs),
        line.policy,
        copy.lastId,
        logEntriesPerRead
      )
      const counter = Number(reply[0])
      const entries = []
      for (let i = 1; i < reply.length; i += 2) entries.push(parseLogEntry(String(reply[i]), String(reply[i + 1])))
      applyLog(copy, entries, true)
      // The log ends before the tick's own counter: entries were lost (the log expired or was evicted alone).
      if (!(await catchUp(line, copy, counter))) throw new LogGap(`the log ends before ${counter}`)
      line.freshAtMs = sentAtMs
    }

    /** One tick of a line, unless it is busy; a broken log makes the copy read the line afresh next time. */
    const runLine = (line: FollowedLine, work: (line: FollowedLine) => Promise<void>) => {
      if (line.busy) return Promise.resolve()
      line.busy = true
      return work(line)
        .catch((error: unknown) => {
          // A gap or an entry it cannot read: the copy is read afresh. Redis away: the copy goes stale by itself.
          if (error instanceof LogGap || error instanceof MalformedLogEntry) line.copy = undefined
        })
        .finally(() => {
          line.busy = false
        })
    }

    /** The copy answers once it holds `counter`; it catches up at once rather than at the next tick. */
    const lineWritten = (line: FollowedLine, counter: number) => {
      if (counter <= line.requiredCounter) return
      line.requiredCounter = counter
      const copy = line.copy
      if (copy !== undefined) void runLine(line, (l) => catchUp(l, copy, counter).then(() => undefined))
    }

    const cycle = async () => {
      const now = performance.now()
      const ticks: Array<Promise<void>> = []
      for (const line of lines.values()) {
        if (now - line.askedAtMs > lineIdleMs) lines.delete(line.concertId)
        else ticks.push(runLine(line, tickLine))
      }
      await Promise.all(ticks)
    }

    yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.promise(cycle), realSleep(tickMs))))

    const blocking = options.blocking
    if (blocking !== undefined) {
      let open = true
      // Every followed line's log in one blocking read, from each copy's last entry; what it answers is applied at
      // once. Freshness stays the ticks' to give: a read says nothing of the lines it did not answer for.
      const readLogs = async () => {
        while (open) {
          const following = Array.from(lines.values()).filter((line) => line.copy !== undefined)
          if (following.length === 0) {
            await new Promise((resolve) => setTimeout(resolve, tickMs))
            continue
          }
          let reply: Awaited<ReturnType<BlockingReader["xread"]>>
          try {
            reply = await blocking.xread(
              "COUNT",
              logEntriesPerRead,
              "BLOCK",
              blockingReadMs,
              "STREAMS",
              ...following.map((line) => line.logKey),
              ...following.map((line) => line.copy!.lastId)
            )
          } catch {
            // Redis away, or the connection closed: the ticks notice the one, the scope the other.
            if (open) await new Promise((resolve) => setTimeout(resolve, tickMs))
            continue
          }
          for (const [logKey, raw] of reply ?? []) {
            const line = following.find((l) => l.logKey === logKey)
            const copy = line?.copy
            if (line === undefined || copy === undefined) continue
            try {
              applyLog(
                copy,
                raw.map(([id, fields]) => parseLogEntry(id, fields[1] ?? "")),
                true
              )
            } catch (error) {
              if (error instanceof LogGap || error instanceof MalformedLogEntry) line.copy = undefined
            }
          }
        }
      }
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          open = false
          blocking.disconnect()
        })
      )
      yield* Effect.forkScoped(Effect.promise(readLogs))
    }

    return {
      answer: (concertId, tokenId, holder, policy, clock) => {
        const line = lines.get(concertId)
        if (line === undefined) return undefined
        line.askedAtMs = performance.now()
        line.policy = policy
        line.clock = clock
        const copy = line.copy
        if (copy === undefined || line.writesInFlight > 0 || copy.counter < line.requiredCounter) return undefined
        const nowMs = clock.currentTimeMillisUnsafe()
        if (nowMs - line.freshAtMs > stalenessMs) return undefined
        const entry = copy.answer(concertId, tokenId as never, holder, policy, nowMs)
        if (entry !== undefined) {
          const report = copy.noteSeen(tokenId, nowMs)
          if (report !== "none") line.seen.push(memberOf(holder))
          if (report === "urgent") line.seenUrgent = true
        }
        return entry
      },
      seenByStore: (concertId, tokenId, nowMs) => lines.get(concertId)?.copy?.seenByStore(tokenId, nowMs),
      follow: (concertId, policy, clock) => {
        if (lines.has(concertId) || lines.size >= followedLinesMax) return
        const seqKey = queueKeyOf(options.keyPrefix, concertId, "seq")
        lines.set(concertId, {
          concertId,
          seqKey,
          logKey: queueKeyOf(options.keyPrefix, concertId, "log"),
          copy: undefined,
          freshAtMs: Number.NEGATIVE_INFINITY,
          requiredCounter: 0,
          writesInFlight: 0,
          askedAtMs: performance.now(),
          policy,
          clock,
          seen: [],
          seenUrgent: false,
          seenReportedAtMs: 0,
          busy: false
        })
      },
      lineWriting: (concertId) => {
        const line = lines.get(concertId)
        if (line !== undefined) line.writesInFlight++
      },
      lineWriteDone: (concertId, counter) => {
        const line = lines.get(concertId)
        if (line === undefined) return
        line.writesInFlight = Math.max(0, line.writesInFlight - 1)
        if (counter !== undefined) lineWritten(line, counter)
      },
      lineWritten: (concertId, counter) => {
        const line = lines.get(concertId)
        if (line !== undefined) lineWritten(line, counter)
      },
      followed: () =>
        Array.from(lines.values(), (line) => ({
          concertId: line.concertId,
          copy: line.copy,
          answering:
            line.copy !== undefined &&
            line.writesInFlight === 0 &&
            line.copy.counter >= line.requiredCounter &&
            line.clock.currentTimeMillisUnsafe() - line.freshAtMs <= stalenessMs,
          staleMs: line.clock.currentTimeMillisUnsafe() - line.freshAtMs
        }))
    }
  })

/**
 * Display reads answered from copies and by the store, in this process: what the suites run with copies check
 * they exercised, and what a benchmark reads.
 */
export const displayReads = { fromCopy: 0, fromStore: 0 }

/**
 * The `Queue` whose display reads are answered from the copies when they can be: a poll the copy cannot answer
 * goes to the store, and a poll or a join that finds a pending or waiting entry there starts the copy of its line.
 */
export const withLineCopies = (store: Queue["Service"], copies: LineCopies): Queue["Service"] => ({
  ...store,
  // A line that takes joins here will be polled here: its copy is started with the first join that waits.
  join: (request) =>
    Effect.withFiber((fiber) =>
      Effect.map(store.join(request), (joined) => {
        if (joined.entry.status === "waiting" || joined.entry.status === "pending") {
          copies.follow(request.concertId, request.policy, fiber.getRef(Clock.Clock))
        }
        return joined
      })
    ),
  status: (concertId, holder, policy) =>
    Effect.withFiber((fiber) => {
      const claims = fiber.getRef(QueueStatusForDisplay)
      // Claims of another token (a caller's mistake) would put their user on this answer: the store answers.
      if (
        claims === null ||
        claims.tokenId !== holder.tokenId ||
        claims.userId !== holder.userId ||
        claims.concertId !== concertId
      ) {
        return store.status(concertId, holder, policy)
      }
      const clock = fiber.getRef(Clock.Clock)
      const answered = copies.answer(concertId, claims.tokenId, claims, policy, clock)
      if (answered !== undefined) {
        displayReads.fromCopy++
        return Effect.succeed(Option.some(answered))
      }
      displayReads.fromStore++
      return Effect.map(store.status(concertId, holder, policy), (entry) => {
        if (Option.isSome(entry) && (entry.value.status === "waiting" || entry.value.status === "pending")) {
          copies.follow(concertId, policy, clock)
          copies.seenByStore(concertId, holder.tokenId, clock.currentTimeMillisUnsafe())
        }
        return entry
      })
    })
})
