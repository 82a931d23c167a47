/**
 * The state every in-memory port shares. Each port operation reads the
 * clock and changes this state in one synchronous step, so fibers cannot
 * interleave inside it: that is what makes the operations atomic.
 */
import {
  type BookingEvent,
  type Concert,
  type ConcertDate,
  type ConcertId,
  type DateId,
  type HoldId,
  type HoldState,
  holdIsLive,
  type IdempotentOutcome,
  type LedgerEntry,
  Limits,
  type Payment,
  type PaymentId,
  type PricedSeat,
  type QueueSettings,
  type QueueTokenId,
  type UserId
} from "@boxoffice/core"
import { noteExpiries } from "./EventLog.ts"
import { MinHeap } from "./MinHeap.ts"
import type { WaitingLine } from "./WaitingLine.ts"

/**
 * Deliberate bugs, for proving that the law suites catch them. Production
 * code never sets these.
 */
export interface Faults {
  readonly skipSeatTakenCheck?: boolean
  readonly skipBalanceGuard?: boolean
  readonly ignoreHoldExpiryAtPayment?: boolean
  /** Lines up joins made before the opening in join order, as if there were no pre-queue. */
  readonly ignoreOpening?: boolean
  /** Lets a hold reserve funds without checking what is available (L2). */
  readonly skipFundsCheck?: boolean
  /** Counts held seats as sold in `seatCounts`, so a sale looks sold out while a seat may come back (L5). */
  readonly countHeldAsSold?: boolean
  /** Prices a hold's seats at their date's price, as if the date had no seat classes (L3 per seat). */
  readonly ignoreSeatClasses?: boolean
  /** Credits a refund but leaves the payment standing, so it can be refunded again (L2). */
  readonly refundCreditsTwice?: boolean
  /** Frees a refunded payment's seats without crediting the wallet (L2). */
  readonly refundWithoutMoney?: boolean
  /** Sells without writing `payment.completed`: the events no longer tell the sale. */
  readonly dropPaymentEvents?: boolean
}

/** Where one event's webhook delivery stands. */
export interface DeliveryState {
  attempts: number
  dueAtMs: number
  leaseUntilMs: number
  delivered: number | null
  parked: boolean
}

export interface HoldRecord {
  readonly holdId: HoldId
  readonly userId: UserId
  readonly dateId: DateId
  readonly seatNumbers: ReadonlyArray<number>
  readonly amountKrw: number
  /** `seatNumbers` with the prices and classes the hold fixed; `amountKrw` is their sum. */
  readonly seats: ReadonlyArray<PricedSeat>
  state: HoldState
  readonly createdAtMs: number
  readonly expiresAtMs: number
  /** It reserves `amountKrw` from the user's wallet while it is live (the concert's `holdNeedsFunds`). */
  readonly reservesFunds: boolean
}

export interface DateSeats {
  /** seat number → the payment that sold it */
  readonly sold: Map<number, Payment>
  /** seat number → the newest hold that covered it; live only while that hold is */
  readonly lastHold: Map<number, HoldId>
}

export interface IdempotencyRecord {
  readonly createdAtMs: number
  readonly fingerprint: string
  readonly outcome: IdempotentOutcome
}

export interface QueueRecord {
  readonly tokenId: QueueTokenId
  readonly userId: UserId
  readonly concertId: ConcertId
  /** 0 while pending; the drawn place from the opening on. */
  joinSequence: number
  readonly joinedAtMs: number
  state: "pending" | "waiting" | "active" | "ended"
  admittedAtMs: number | null
  activeUntilMs: number | null
  /** The last sighting, as core's `sightingMsOf` records it. */
  lastSeenMs: number
}

export interface QueueState {
  nextSequence: number
  readonly entries: Map<QueueTokenId, QueueRecord>
  /** The user's waiting or active entry. */
  readonly currentByUser: Map<UserId, QueueTokenId>
  /** The user's newest ended entry, which their next join replaces: one retained entry per user. */
  readonly endedByUser: Map<UserId, QueueTokenId>
  /** Tokens that joined before the sale opened, until the draw. */
  readonly pending: Set<QueueTokenId>
  /** Waiting join sequences in order, with O(log n) removal and position. */
  readonly line: WaitingLine
  readonly tokenBySequence: Map<number, QueueTokenId>
  /**
   * Pending and waiting tokens by when they were last seen, as of their push. A poll only
   * stamps the record; the tidy-up re-pushes an entry seen since when it
   * reaches the top. (A Map re-inserted on every poll left deleted slots that
   * each tidy-up walked past, a cost that grew with the polling.)
   */
  readonly waitingBySeen: MinHeap<QueueTokenId>
  /** Ended tokens by end time, oldest first, to forget after the retention period. */
  readonly endedAtMs: Map<QueueTokenId, number>
  /** Active tokens. */
  readonly active: Set<QueueTokenId>
  /**
   * Active tokens by `activeUntil`, soonest first. Admission order is not
   * that order once `activeSeconds` changes mid-sale. Entries that ended
   * otherwise are left in and skipped when they surface.
   */
  readonly activeUntil: MinHeap<QueueTokenId>
  /** The settings in force once the operator changed them; until then the concert's policy. */
  settings: QueueSettings | null
  /** Marked sold out (`Queue.markSoldOut`): nobody is admitted, joins are refused, waiters read `sold-out`. */
  soldOut: boolean
  /** Recent admission times, ascending, bounded: the rate cap's window. */
  readonly admissionTimesMs: Array<number>
  /** Recent admission times of users who had waited, ascending, bounded: the ETA's sample. */
  readonly waitedAdmissionTimesMs: Array<number>
}

export interface MemoryState {
  readonly faults: Faults
  readonly concerts: Map<ConcertId, Concert>
  readonly dates: Map<DateId, ConcertDate>
  readonly holds: Map<HoldId, HoldRecord>
  readonly seats: Map<DateId, DateSeats>
  /** `${userId}/${dateId}` → the user's holds on the date */
  readonly holdsByUserDate: Map<string, Array<HoldId>>
  /** `${userId}/${dateId}` → seats the user bought on the date */
  readonly seatsSoldByUserDate: Map<string, number>
  readonly balances: Map<UserId, number>
  /** The user's holds that reserve funds; those no longer live are dropped when read. */
  readonly reservingHoldsByUser: Map<UserId, Array<HoldId>>
  readonly ledgers: Map<UserId, Array<LedgerEntry>>
  readonly paymentsByUser: Map<UserId, Array<Payment>>
  /** Every payment by id, the newest version (with its refund once it has one). */
  readonly paymentsById: Map<PaymentId, Payment>
  /** A date's payments that have no refund, oldest first (a Set keeps insertion order). */
  readonly unrefundedByDate: Map<DateId, Set<PaymentId>>
  /** queue token → the payment made with it: a token pays once (the twin of the unique `payments.queue_token_id`). */
  readonly paymentByQueueToken: Map<QueueTokenId, PaymentId>
  /** `${userId}/${key}` → record, oldest first (a Map keeps insertion order). */
  readonly idempotency: Map<string, IdempotencyRecord>
  /** The outbox, oldest first; `eventsPurged` delivered events were deleted from its front. */
  readonly events: Array<BookingEvent>
  eventsPurged: number
  readonly deliveries: Map<string, DeliveryState>
  /** Concerts whose `concert.sold-out` is recorded since their last refund. */
  readonly soldOutRecorded: Set<ConcertId>
  /** Holds by their expiry, to record `hold.expired` once the clock passes it. */
  readonly holdsToExpire: MinHeap<HoldId>
  /** Holds by when they may be forgotten: their expiry plus the retention. */
  readonly holdsToForget: MinHeap<HoldId>
  readonly queues: Map<ConcertId, QueueState>
}

export const makeMemoryState = (faults: Faults = {}): MemoryState => ({
  faults,
  concerts: new Map(),
  dates: new Map(),
  holds: new Map(),
  seats: new Map(),
  holdsByUserDate: new Map(),
  seatsSoldByUserDate: new Map(),
  balances: new Map(),
  reservingHoldsByUser: new Map(),
  ledgers: new Map(),
  paymentsByUser: new Map(),
  paymentsById: new Map(),
  unrefundedByDate: new Map(),
  paymentByQueueToken: new Map(),
  idempotency: new Map(),
  events: [],
  eventsPurged: 0,
  deliveries: new Map(),
  soldOutRecorded: new Set(),
  holdsToExpire: new MinHeap(),
  holdsToForget: new MinHeap(),
  queues: new Map()
})

export const userDateKey = (userId: UserId, dateId: DateId): string => `${userId}/${dateId}`
export const idempotencyKeyOf = (userId: UserId, key: string): string => `${userId}/${key}`

export const seatsOf = (state: MemoryState, dateId: DateId): DateSeats => {
  let seats = state.seats.get(dateId)
  if (seats === undefined) {
    seats = { sold: new Map(), lastHold: new Map() }
    state.seats.set(dateId, seats)
  }
  return seats
}

/**
 * The amounts of the user's live reserving holds (L4: not expired by
 * `nowMs`, not released, not paid), but `exceptHoldId`'s. A hold that is no
 * longer live never is again, so those are dropped from the index here.
 */
export const liveReservationsKrw = (
  state: MemoryState,
  userId: UserId,
  nowMs: number,
  exceptHoldId: HoldId | null = null
): Array<number> => {
  const holdIds = state.reservingHoldsByUser.get(userId)
  if (holdIds === undefined) return []
  const live = holdIds.filter((holdId) => {
    const hold = state.holds.get(holdId)
    return hold !== undefined && holdIsLive(hold.state, hold.expiresAtMs, nowMs)
  })
  if (live.length === 0) state.reservingHoldsByUser.delete(userId)
  else if (live.length < holdIds.length) state.reservingHoldsByUser.set(userId, live)
  return live.filter((holdId) => holdId !== exceptHoldId).map((holdId) => state.holds.get(holdId)!.amountKrw)
}

/**
 * Forgets, at most `queueTidyBatchMax` of each per call, holds that ended
 * over `endedHoldRetentionSeconds` ago (paid ones are kept: payments name
 * them) and idempotency records older than `idempotencyRetentionSeconds`,
 * so the memory store holds a bounded working set.
 */
export const tidy = (state: MemoryState, nowMs: number): void => {
  // Expiries first: a hold is forgotten only well after its expiry was recorded.
  noteExpiries(state, nowMs)
  for (let i = 0; i < Limits.queueTidyBatchMax; i++) {
    const dueMs = state.holdsToForget.peekKey()
    if (dueMs === undefined || dueMs > nowMs) break
    const holdId = state.holdsToForget.pop()!
    const hold = state.holds.get(holdId)
    if (hold === undefined || hold.state === "paid") continue
    state.holds.delete(holdId)
    const key = userDateKey(hold.userId, hold.dateId)
    const others = (state.holdsByUserDate.get(key) ?? []).filter((id) => id !== holdId)
    if (others.length === 0) state.holdsByUserDate.delete(key)
    else state.holdsByUserDate.set(key, others)
  }
  let forgotten = 0
  for (const [key, record] of state.idempotency) {
    if (forgotten++ >= Limits.queueTidyBatchMax) break
    if (record.createdAtMs > nowMs - Limits.idempotencyRetentionSeconds * 1000) break
    state.idempotency.delete(key)
  }
}
