/**
 * In-memory `Queue`: exact FIFO by join sequence, with both caps.
 *
 * @since 0.1.0
 */
import {
  activeUntilMs,
  admissionsAllowed,
  etaSeconds,
  isAbandoned,
  isStillActive,
  Limits,
  Queue,
  QueueEntry,
  type ConcertId,
  type QueuePolicy,
  type QueueTokenId
} from "@boxoffice/core"
import { DateTime, Layer, Option, Result } from "effect"
import type { MemoryState, QueueRecord, QueueState } from "./internal/MemoryState.ts"
import { atomically, MemoryStore } from "./internal/MemoryStore.ts"

const queueOf = (state: MemoryState, concertId: ConcertId): QueueState => {
  let queue = state.queues.get(concertId)
  if (queue === undefined) {
    queue = {
      nextSequence: 1,
      entries: new Map(),
      currentByUser: new Map(),
      waiting: [],
      waitingHead: 0,
      tokenBySequence: new Map(),
      waitingBySeen: new Map(),
      endedAtMs: new Map(),
      active: new Set(),
      admissionTimesMs: [],
      waitedAdmissionTimesMs: []
    }
    state.queues.set(concertId, queue)
  }
  return queue
}

/** Index of `sequence` in `waiting` (ascending), or -1. */
const waitingIndex = (queue: QueueState, sequence: number): number => {
  let low = queue.waitingHead
  let high = queue.waiting.length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const value = queue.waiting[middle]!
    if (value === sequence) return middle
    if (value < sequence) low = middle + 1
    else high = middle - 1
  }
  return -1
}

const waitingCount = (queue: QueueState): number => queue.waiting.length - queue.waitingHead

const endEntry = (queue: QueueState, record: QueueRecord, nowMs: number): void => {
  if (record.state === "waiting") {
    const index = waitingIndex(queue, record.joinSequence)
    if (index >= 0) queue.waiting.splice(index, 1)
    queue.waitingBySeen.delete(record.tokenId)
  }
  queue.active.delete(record.tokenId)
  queue.currentByUser.delete(record.userId)
  record.state = "ended"
  record.activeUntilMs = null
  queue.endedAtMs.set(record.tokenId, nowMs)
}

/**
 * The admission step that starts every operation: end run-out windows, then
 * admit front waiters while both caps allow. `arrivingTokenId` names a joiner
 * who arrived in this very operation: their admission is no sample of the
 * line's speed.
 */
const admit = (queue: QueueState, policy: QueuePolicy, nowMs: number, arrivingTokenId?: QueueTokenId): void => {
  // Waiters who stopped polling leave first; the least recently seen are at the front.
  for (const record of queue.waitingBySeen.values()) {
    if (!isAbandoned(record.lastSeenMs, nowMs)) break
    endEntry(queue, record, nowMs)
  }
  // Windows end in admission order, so the run-out ones are at the front.
  for (const tokenId of queue.active) {
    const record = queue.entries.get(tokenId)!
    if (isStillActive(record.activeUntilMs!, nowMs)) break
    endEntry(queue, record, nowMs)
  }
  // Entries that ended long ago are forgotten, as in Redis: their tokens then name no entry.
  let forgotten = 0
  for (const [tokenId, endedAtMs] of queue.endedAtMs) {
    if (endedAtMs > nowMs - Limits.endedEntryRetentionSeconds * 1000 || forgotten++ >= Limits.queueTidyBatchMax) break
    queue.endedAtMs.delete(tokenId)
    const record = queue.entries.get(tokenId)
    queue.entries.delete(tokenId)
    if (record !== undefined) queue.tokenBySequence.delete(record.joinSequence)
  }
  const count = admissionsAllowed({
    policy,
    nowMs,
    activeCount: queue.active.size,
    waitingCount: waitingCount(queue),
    admissionTimesMs: queue.admissionTimesMs
  })
  for (let i = 0; i < count; i++) {
    const sequence = queue.waiting[queue.waitingHead++]!
    const record = queue.entries.get(queue.tokenBySequence.get(sequence)!)!
    queue.waitingBySeen.delete(record.tokenId)
    record.state = "active"
    record.admittedAtMs = nowMs
    record.activeUntilMs = activeUntilMs(nowMs, policy)
    queue.active.add(record.tokenId)
    queue.admissionTimesMs.push(nowMs)
    if (record.tokenId !== arrivingTokenId) queue.waitedAdmissionTimesMs.push(nowMs)
  }
  // Keep every admission of the rate window, and enough for the ETA sample.
  const keep = Math.max(policy.admitPerMinute ?? 0, Limits.etaSampleSize)
  if (queue.admissionTimesMs.length > keep * 2) queue.admissionTimesMs.splice(0, queue.admissionTimesMs.length - keep)
  if (queue.waitedAdmissionTimesMs.length > Limits.etaSampleSize * 2) {
    queue.waitedAdmissionTimesMs.splice(0, queue.waitedAdmissionTimesMs.length - Limits.etaSampleSize)
  }
  if (queue.waitingHead > 1024 && queue.waitingHead * 2 > queue.waiting.length) {
    queue.waiting = queue.waiting.slice(queue.waitingHead)
    queue.waitingHead = 0
  }
}

/** A join or status call keeps a waiter's place for another grace period. */
const seen = (queue: QueueState, record: QueueRecord, nowMs: number): void => {
  record.lastSeenMs = nowMs
  if (record.state === "waiting") {
    queue.waitingBySeen.delete(record.tokenId)
    queue.waitingBySeen.set(record.tokenId, record)
  }
}

const toEntry = (queue: QueueState, record: QueueRecord, policy: QueuePolicy, nowMs: number): QueueEntry => {
  const position = record.state === "waiting" ? waitingIndex(queue, record.joinSequence) - queue.waitingHead + 1 : null
  return new QueueEntry({
    tokenId: record.tokenId,
    concertId: record.concertId,
    userId: record.userId,
    joinSequence: record.joinSequence,
    joinedAt: DateTime.makeUnsafe(record.joinedAtMs),
    status: record.state === "ended" ? "expired" : record.state,
    position,
    etaSeconds: position === null
      ? null
      : etaSeconds({
        policy,
        nowMs,
        position,
        activeCount: queue.active.size,
        waitedAdmissionTimesMs: queue.waitedAdmissionTimesMs,
        windowAdmissionTimesMs: queue.admissionTimesMs
      }),
    admittedAt: record.admittedAtMs === null ? null : DateTime.makeUnsafe(record.admittedAtMs),
    activeUntil: record.activeUntilMs === null ? null : DateTime.makeUnsafe(record.activeUntilMs)
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
          if (currentId !== undefined) {
            const current = queue.entries.get(currentId)!
            seen(queue, current, nowMs)
            const entry = toEntry(queue, current, request.policy, nowMs)
            return Result.succeed({ entry, created: false })
          }
          const record: QueueRecord = {
            tokenId: request.tokenId,
            userId: request.userId,
            concertId: request.concertId,
            joinSequence: queue.nextSequence++,
            joinedAtMs: nowMs,
            state: "waiting",
            admittedAtMs: null,
            activeUntilMs: null,
            lastSeenMs: nowMs
          }
          queue.entries.set(record.tokenId, record)
          queue.currentByUser.set(record.userId, record.tokenId)
          queue.tokenBySequence.set(record.joinSequence, record.tokenId)
          queue.waiting.push(record.joinSequence)
          queue.waitingBySeen.set(record.tokenId, record)
          admit(queue, request.policy, nowMs, record.tokenId)
          return Result.succeed({ entry: toEntry(queue, record, request.policy, nowMs), created: true })
        }),
      status: (concertId, tokenId, policy) =>
        atomically((nowMs) => {
          const queue = queueOf(state, concertId)
          admit(queue, policy, nowMs)
          const record = queue.entries.get(tokenId)
          if (record === undefined) return Result.succeed(Option.none())
          seen(queue, record, nowMs)
          return Result.succeed(Option.some(toEntry(queue, record, policy, nowMs)))
        }),
      end: (concertId, tokenId, policy) =>
        atomically((nowMs) => {
          const queue = queueOf(state, concertId)
          admit(queue, policy, nowMs)
          const record = queue.entries.get(tokenId)
          if (record !== undefined && record.state !== "ended") {
            endEntry(queue, record, nowMs)
            admit(queue, policy, nowMs)
          }
          return Result.succeed(undefined)
        })
    }))
)
