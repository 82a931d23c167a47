/**
 * The memory store's outbox: each write appends its event in the same
 * synchronous step as its change, so the log and the state never disagree.
 */
import {
  BookingEvent,
  type BookingEventData,
  type BookingEventType,
  type ConcertId,
  emptyEventData,
  Limits
} from "@boxoffice/core"
import { DateTime } from "effect"
import type { HoldRecord, MemoryState } from "./MemoryState.ts"

// Web Crypto, in Node and browsers alike.
const webCrypto = (globalThis as unknown as { readonly crypto: { readonly randomUUID: () => string } }).crypto

/** Appends an event at the next sequence, stamped with the step's clock. */
export const recordEvent = (
  state: MemoryState,
  type: BookingEventType,
  nowMs: number,
  data: Partial<BookingEventData>
): void => {
  if (state.faults.dropPaymentEvents && type === "payment.completed") return
  const event = new BookingEvent({
    eventId: webCrypto.randomUUID(),
    sequence: state.events.length + state.eventsPurged + 1,
    type,
    at: DateTime.makeUnsafe(nowMs),
    data: { ...emptyEventData, ...data }
  })
  state.events.push(event)
  state.deliveries.set(event.eventId, { attempts: 0, dueAtMs: nowMs, leaseUntilMs: 0, delivered: null, parked: false })
}

/** The fields every hold event names. */
export const holdEventData = (state: MemoryState, hold: HoldRecord): Partial<BookingEventData> => ({
  concertId: (state.dates.get(hold.dateId)?.concertId ?? null) as ConcertId | null,
  dateId: hold.dateId,
  userId: hold.userId,
  holdId: hold.holdId,
  seatNumbers: hold.seatNumbers,
  amountKrw: hold.amountKrw
})

/**
 * Records `hold.expired` for every hold whose expiry the clock has passed
 * while it was still held, at most `queueTidyBatchMax` per call: the first
 * store call after an expiry notices it, once.
 */
export const noteExpiries = (state: MemoryState, nowMs: number): void => {
  for (let i = 0; i < Limits.queueTidyBatchMax; i++) {
    const dueMs = state.holdsToExpire.peekKey()
    if (dueMs === undefined || dueMs > nowMs) break
    const hold = state.holds.get(state.holdsToExpire.pop()!)
    if (hold !== undefined && hold.state === "held")
      recordEvent(state, "hold.expired", dueMs, holdEventData(state, hold))
  }
}
