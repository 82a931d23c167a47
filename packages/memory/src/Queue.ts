/**
 * In-memory `Queue`: exact FIFO by join sequence, with both caps.
 *
 * @since 0.1.0
 */
import {
  activeUntilMs,
  applySettingsChange,
  admissionsAllowed,
  admissionsInWindow,
  drawOrder,
  etaSeconds,
  isAbandoned,
  isSaleOpen,
  isStillActive,
  Limits,
  Queue,
  QueueEntry,
  QueueStats,
  queueStatusOf,
  SoldOut,
  type ConcertId,
  type QueuePolicy,
  type QueueTokenHolder,
  type QueueTokenId,
  opensAtMsOf,
  rateCapWindowOf,
  settingsFromPolicy,
  sightingMsOf,
  waitedAdmissionsOf
} from "@boxoffice/core"
import { DateTime, Layer, Option, Result } from "effect"
import type { MemoryState, QueueRecord, QueueState } from "./internal/MemoryState.ts"
import { atomically, MemoryStore } from "./internal/MemoryStore.ts"
import { MinHeap } from "./internal/MinHeap.ts"
import { randomBelow } from "./internal/randomBelow.ts"
import { WaitingLine } from "./internal/WaitingLine.ts"

const queueOf = (state: MemoryState, concertId: ConcertId): QueueState => {
  let queue = state.queues.get(concertId)
  if (queue === undefined) {
    queue = {
      nextSequence: 1,
      entries: new Map(),
      currentByUser: new Map(),
      endedByUser: new Map(),
      pending: new Set(),
      line: new WaitingLine(),
      tokenBySequence: new Map(),
      waitingBySeen: new MinHeap(),
      endedAtMs: new Map(),
      active: new Set(),
      activeUntil: new MinHeap(),
      settings: null,
      soldOut: false,
      admissionTimesMs: [],
      waitedAdmissionTimesMs: []
    }
    state.queues.set(concertId, queue)
  }
  return queue
}

/** Drops an ended entry entirely: its token then names no entry. */
const forget = (queue: QueueState, tokenId: QueueTokenId): void => {
  const record = queue.entries.get(tokenId)
  queue.endedAtMs.delete(tokenId)
  queue.entries.delete(tokenId)
  if (record === undefined) return
  queue.tokenBySequence.delete(record.joinSequence)
  if (queue.endedByUser.get(record.userId) === tokenId) queue.endedByUser.delete(record.userId)
}

const endEntry = (queue: QueueState, record: QueueRecord, nowMs: number): void => {
  if (record.state === "waiting") queue.line.remove(record.joinSequence)
  else if (record.state === "pending") queue.pending.delete(record.tokenId)
  queue.active.delete(record.tokenId)
  queue.currentByUser.delete(record.userId)
  record.state = "ended"
  record.activeUntilMs = null
  queue.endedAtMs.set(record.tokenId, nowMs)
  // One ended entry per user is kept to answer "expired"; an older one is forgotten now.
  const previous = queue.endedByUser.get(record.userId)
  if (previous !== undefined && previous !== record.tokenId) forget(queue, previous)
  queue.endedByUser.set(record.userId, record.tokenId)
}

/** The holder's record: none for a token named with another user's id (the port's `QueueTokenHolder`). */
const recordOf = (queue: QueueState, holder: QueueTokenHolder): QueueRecord | undefined => {
  const record = queue.entries.get(holder.tokenId)
  return record?.userId === holder.userId ? record : undefined
}

/** Ends `record` now if its window ran out or it stopped polling, whatever the batch bound left. */
const settle = (queue: QueueState, record: QueueRecord, nowMs: number): void => {
  if (record.state === "active" && !isStillActive(record.activeUntilMs!, nowMs)) endEntry(queue, record, nowMs)
  else if ((record.state === "waiting" || record.state === "pending") && isAbandoned(record.lastSeenMs, nowMs)) {
    endEntry(queue, record, nowMs)
  }
}

/**
 * The admission step that starts every operation: end run-out windows, then
 * admit front waiters while both caps allow. Each tidy-up ends at most
 * `queueTidyBatchMax` entries per call, each in O(log n), so no call stalls
 * the event loop; what is left is tidied by the next calls. `arrivingTokenId`
 * names a joiner who arrived in this very operation: their admission is no
 * sample of the line's speed.
 */
const admit = (queue: QueueState, policy: QueuePolicy, nowMs: number, arrivingTokenId?: QueueTokenId): void => {
  // Waiters who stopped polling leave first. The heap's keys are when each was last seen as of its
  // push: one seen since goes back in with its new time, one that left the line is dropped.
  let tidied = 0
  for (;;) {
    const seenMs = queue.waitingBySeen.peekKey()
    if (seenMs === undefined || !isAbandoned(seenMs, nowMs) || tidied++ >= Limits.queueTidyBatchMax) break
    const record = queue.entries.get(queue.waitingBySeen.pop()!)
    if (record === undefined || (record.state !== "waiting" && record.state !== "pending")) continue
    if (record.lastSeenMs !== seenMs) queue.waitingBySeen.push(record.lastSeenMs, record.tokenId)
    else endEntry(queue, record, nowMs)
  }
  // Run-out windows surface at the top of the heap; entries that ended otherwise are skipped there.
  tidied = 0
  for (;;) {
    const untilMs = queue.activeUntil.peekKey()
    if (untilMs === undefined || isStillActive(untilMs, nowMs) || tidied >= Limits.queueTidyBatchMax) break
    const record = queue.entries.get(queue.activeUntil.pop()!)
    if (record === undefined || record.state !== "active" || record.activeUntilMs !== untilMs) continue
    tidied++
    endEntry(queue, record, nowMs)
  }
  // Entries that ended long ago are forgotten, as in Redis: their tokens then name no entry.
  tidied = 0
  for (const [tokenId, endedAtMs] of queue.endedAtMs) {
    if (tidied++ >= Limits.queueTidyBatchMax || endedAtMs > nowMs - Limits.endedEntryRetentionSeconds * 1000) break
    forget(queue, tokenId)
  }
  const opensAtMs = opensAtMsOf(policy)
  if (queue.pending.size > 0 && isSaleOpen(opensAtMs, nowMs)) draw(queue)
  const live = queue.settings ?? policy
  const count = admissionsAllowed({
    policy: live,
    paused: queue.settings?.paused ?? false,
    soldOut: queue.soldOut,
    opensAtMs,
    nowMs,
    activeCount: queue.active.size,
    waitingCount: queue.line.size,
    admissionTimesMs: queue.admissionTimesMs
  })
  for (let i = 0; i < count; i++) {
    const sequence = queue.line.shift()!
    const record = queue.entries.get(queue.tokenBySequence.get(sequence)!)!
    record.state = "active"
    record.admittedAtMs = nowMs
    record.activeUntilMs = activeUntilMs(nowMs, live)
    queue.active.add(record.tokenId)
    queue.activeUntil.push(record.activeUntilMs, record.tokenId)
    queue.admissionTimesMs.push(nowMs)
    if (record.tokenId !== arrivingTokenId) queue.waitedAdmissionTimesMs.push(nowMs)
  }
  // Keep every admission of the last window (the rate cap and the stats count them), and enough
  // for the ETA sample. Dropped in halves, so the trimming costs O(1) per admission.
  const times = queue.admissionTimesMs
  const outside = times.length - admissionsInWindow(times, nowMs)
  const droppable = Math.min(outside, times.length - Limits.etaSampleSize)
  if (droppable > 0 && droppable * 2 >= times.length) times.splice(0, droppable)
  if (queue.waitedAdmissionTimesMs.length > Limits.etaSampleSize * 2) {
    queue.waitedAdmissionTimesMs.splice(0, queue.waitedAdmissionTimesMs.length - Limits.etaSampleSize)
  }
}

/**
 * The fair-start draw, once, in the first step at or after the opening: the
 * pre-queue enters the line in a random order, ahead of every later join.
 */
const draw = (queue: QueueState): void => {
  for (const tokenId of drawOrder(queue.pending, randomBelow)) {
    const record = queue.entries.get(tokenId)!
    record.joinSequence = queue.nextSequence++
    record.state = "waiting"
    queue.tokenBySequence.set(record.joinSequence, tokenId)
    queue.line.insert(record.joinSequence)
  }
  queue.pending.clear()
}

/** A join or status call keeps a waiter's place for another grace period. */
const seen = (record: QueueRecord, nowMs: number): void => {
  // The abandoned-waiter heap catches up lazily, when this entry reaches its top.
  record.lastSeenMs = sightingMsOf(nowMs)
}

/** The ETA of the waiter at `position`, by core's rule over this queue's admissions. */
const etaOf = (
  policy: Pick<QueuePolicy, "maxActive" | "activeSeconds" | "admitPerMinute">,
  queue: QueueState,
  nowMs: number,
  position: number
) =>
  etaSeconds({
    policy,
    nowMs,
    position,
    activeCount: queue.active.size,
    waitedAdmissions: waitedAdmissionsOf(queue.waitedAdmissionTimesMs, nowMs),
    ...(policy.admitPerMinute === null
      ? {}
      : { rateCapWindow: rateCapWindowOf(queue.admissionTimesMs, nowMs, position, policy.admitPerMinute) })
  })

const toEntry = (queue: QueueState, record: QueueRecord, policy: QueuePolicy, nowMs: number): QueueEntry => {
  const status = queueStatusOf(record.state, queue.soldOut)
  const position = status === "waiting" ? queue.line.position(record.joinSequence) : null
  // Built from this process's own records, which were checked on the way in: nothing to parse again.
  return QueueEntry.trusted({
    tokenId: record.tokenId,
    concertId: record.concertId,
    userId: record.userId,
    joinSequence: record.joinSequence,
    joinedAt: DateTime.makeUnsafe(record.joinedAtMs),
    status,
    position,
    etaSeconds: position === null ? null : etaOf(queue.settings ?? policy, queue, nowMs, position),
    admittedAt: record.admittedAtMs === null ? null : DateTime.makeUnsafe(record.admittedAtMs),
    activeUntil: record.activeUntilMs === null ? null : DateTime.makeUnsafe(record.activeUntilMs),
    opensAt: policy.opensAt ?? null
  })
}

/** @category layers */
export const layer: Layer.Layer<Queue, never, MemoryStore> = Layer.effect(
  Queue,
  MemoryStore.useSync((state) =>
    Queue.of({
      join: (request) =>
        atomically((nowMs) => {
          const queue = queueOf(state, request.concertId)
          admit(queue, request.policy, nowMs)
          const currentId = queue.currentByUser.get(request.userId)
          const current = currentId === undefined ? undefined : queue.entries.get(currentId)!
          if (current !== undefined) settle(queue, current, nowMs)
          // A line marked sold out answers only an active user's join; it makes no entry.
          if (queue.soldOut && current?.state !== "active") {
            return Result.fail(new SoldOut({ concertId: request.concertId }))
          }
          if (current !== undefined && current.state !== "ended") {
            seen(current, nowMs)
            const entry = toEntry(queue, current, request.policy, nowMs)
            return Result.succeed({ entry, created: false })
          }
          // The user's ended entry, if any, is replaced by this one.
          const ended = queue.endedByUser.get(request.userId)
          if (ended !== undefined) forget(queue, ended)
          // Before the opening, a join gets a lottery ticket, not a place.
          const pending = !state.faults.ignoreOpening && !isSaleOpen(opensAtMsOf(request.policy), nowMs)
          const record: QueueRecord = {
            tokenId: request.tokenId,
            userId: request.userId,
            concertId: request.concertId,
            joinSequence: pending ? 0 : queue.nextSequence++,
            joinedAtMs: nowMs,
            state: pending ? "pending" : "waiting",
            admittedAtMs: null,
            activeUntilMs: null,
            lastSeenMs: sightingMsOf(nowMs)
          }
          queue.entries.set(record.tokenId, record)
          queue.currentByUser.set(record.userId, record.tokenId)
          if (pending) {
            queue.pending.add(record.tokenId)
          } else {
            queue.tokenBySequence.set(record.joinSequence, record.tokenId)
            queue.line.insert(record.joinSequence)
          }
          queue.waitingBySeen.push(record.lastSeenMs, record.tokenId)
          admit(queue, request.policy, nowMs, record.tokenId)
          return Result.succeed({ entry: toEntry(queue, record, request.policy, nowMs), created: true })
        }),
      status: (concertId, holder, policy) =>
        atomically((nowMs) => {
          const queue = queueOf(state, concertId)
          admit(queue, policy, nowMs)
          const record = recordOf(queue, holder)
          if (record === undefined) return Result.succeed(Option.none())
          settle(queue, record, nowMs)
          seen(record, nowMs)
          return Result.succeed(Option.some(toEntry(queue, record, policy, nowMs)))
        }),
      stats: (concertId, policy) =>
        atomically((nowMs) => {
          const queue = queueOf(state, concertId)
          admit(queue, policy, nowMs)
          return Result.succeed(
            new QueueStats({
              settings: queue.settings ?? settingsFromPolicy(policy),
              pending: queue.pending.size,
              waiting: queue.line.size,
              active: queue.active.size,
              admittedLastMinute: admissionsInWindow(queue.admissionTimesMs, nowMs)
            })
          )
        }),
      configure: (concertId, change, policy) =>
        atomically((nowMs) => {
          const queue = queueOf(state, concertId)
          admit(queue, policy, nowMs)
          queue.settings = applySettingsChange(queue.settings ?? settingsFromPolicy(policy), change)
          // Raised caps or a resume admit the next waiters in this same step.
          admit(queue, policy, nowMs)
          return Result.succeed(queue.settings)
        }),
      markSoldOut: (concertId, policy) =>
        atomically((nowMs) => {
          const queue = queueOf(state, concertId)
          admit(queue, policy, nowMs)
          queue.soldOut = true
          return Result.succeed(undefined)
        }),
      clearSoldOut: (concertId, policy) =>
        atomically((nowMs) => {
          const queue = queueOf(state, concertId)
          admit(queue, policy, nowMs)
          queue.soldOut = false
          // Waiters are admitted again at once, in order, as a resume admits them.
          admit(queue, policy, nowMs)
          return Result.succeed(undefined)
        }),
      end: (concertId, holder, policy) =>
        atomically((nowMs) => {
          const queue = queueOf(state, concertId)
          admit(queue, policy, nowMs)
          const record = recordOf(queue, holder)
          if (record !== undefined && record.state !== "ended") {
            endEntry(queue, record, nowMs)
            admit(queue, policy, nowMs)
          }
          return Result.succeed(undefined)
        })
    })
  )
)
