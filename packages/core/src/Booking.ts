/**
 * The use cases of a ticket sale behind one service. Callers pass an
 * authenticated user id; everything else is checked here or in a port.
 *
 * @since 0.1.0
 */
import {
  Cause,
  Clock,
  Context,
  DateTime,
  Duration,
  Effect,
  Equal,
  Layer,
  Metric,
  Option,
  Result,
  Schedule,
  Stream
} from "effect"
import { BookingMetrics } from "./BookingMetrics.ts"
import { spanWhenTracing } from "./internal/EffectInternals.ts"
import {
  type AlreadyPaid,
  type AlreadyRefunded,
  type BalanceLimitExceeded,
  Forbidden,
  type HoldExpired,
  type HumanCheckFailed,
  type HoldLimitExceeded,
  type IdempotencyInFlight,
  type IdempotencyKeyReused,
  type InsufficientBalance,
  type InvalidRequest,
  NotFound,
  type OutcomeUnknown,
  QueueNotAdmitted,
  type RefundClosed,
  type QueueTokenInvalid,
  QueueTokenExpired,
  QueueTokenInvalid as QueueTokenInvalidError,
  type SaleClosed,
  type SeatUnavailable,
  SoldOut,
  type Unavailable
} from "./Errors.ts"
import { Limits } from "./model/Limits.ts"
import type { BookingEvent } from "./model/BookingEvent.ts"
import { Concert, ConcertDate, type NewConcert, QueuePolicy, SalePolicy, SeatClass } from "./model/Concert.ts"
import type { Hold } from "./model/Hold.ts"
import {
  ChargeId,
  ConcertId,
  DateId,
  HoldId,
  newId,
  PaymentId,
  QueueTokenId,
  RefundId,
  type UserId
} from "./model/Ids.ts"
import type { Payment, PaymentReceipt, RefundReceipt } from "./model/Payment.ts"
import type { QueueSettings, QueueSettingsChange } from "./model/QueueSettings.ts"
import type { DateSeatCounts, QueueStats } from "./model/SaleReport.ts"
import { type QueueEntry, QueueTokenClaims } from "./model/QueueEntry.ts"
import type { Seat } from "./model/Seat.ts"
import type { ChargeReceipt, WalletFunds } from "./model/Wallet.ts"
import { Catalog } from "./ports/Catalog.ts"
import { Events } from "./ports/Events.ts"
import { HumanCheck } from "./ports/HumanCheck.ts"
import { IdempotencyClaim, IdempotencyRecords, type IdempotentOutcome } from "./ports/IdempotencyRecords.ts"
import { Payments, type SeatsLeft } from "./ports/Payments.ts"
import { Queue, QueueStatusForDisplay } from "./ports/Queue.ts"
import { QueueTokenSigner } from "./ports/QueueTokenSigner.ts"
import { SeatInventory } from "./ports/SeatInventory.ts"
import { Wallet } from "./ports/Wallet.ts"
import { refundDeadlineMs, refundFeeKrw } from "./rules/Refunds.ts"
import { checkSaleOpen } from "./rules/SaleWindow.ts"
import { checkSeatClasses } from "./rules/SeatClasses.ts"
import { checkSeatRange } from "./rules/SeatLimit.ts"
import { isSoldOut, soldOutCheckIntervalMs, soldOutRetryIntervalMs, upcomingDates } from "./rules/SoldOut.ts"

/** What cancelling a payment gives back, and until when it may be cancelled. @category models */
export interface RefundQuote {
  readonly amountKrw: number
  readonly feeKrw: number
  readonly until: DateTime.Utc
}

/** Everything a refund may fail with. @category models */
export type RefundFailure =
  | NotFound
  | Forbidden
  | AlreadyRefunded
  | RefundClosed
  | BalanceLimitExceeded
  | IdempotencyInFlight
  | IdempotencyKeyReused
  | Unavailable
  | OutcomeUnknown

/** What a join returns: the signed token and the entry it names. @category models */
export interface QueueTicket {
  readonly queueToken: string
  readonly entry: QueueEntry
  /** `false` when the user was already waiting or active: the same token again. */
  readonly created: boolean
}

/** A date with the number of seats still available now, and their price range (null when none is left). @category models */
export interface DateAvailability {
  readonly date: ConcertDate
  readonly availableSeats: number
  readonly minPriceKrw: number | null
  readonly maxPriceKrw: number | null
}

/** A concert as the public list shows it. @category models */
export interface ConcertListing {
  readonly concert: Concert
  /** Every seat of every date that has not started is sold (`isSoldOut`), as the seat store counts now. */
  readonly soldOut: boolean
}

/** A concert with its queue's numbers and each date's seats, for the operator. @category models */
export interface SaleReport {
  readonly concert: Concert
  readonly queue: QueueStats
  /** In the concert's date order. */
  readonly dates: ReadonlyArray<DateSeatCounts>
}

/** Errors of the steps that need an active queue token (L6). @category errors */
export type AdmissionError = QueueTokenInvalid | QueueNotAdmitted | QueueTokenExpired | Forbidden | SoldOut

/**
 * The engine. Every method is one use case of the spec (docs/spec.md).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Booking } from "@boxoffice/core"
 * declare const userId: import("@boxoffice/core").UserId
 * const program = Effect.gen(function*() {
 *   const booking = yield* Booking
 *   const [concert] = yield* booking.listConcerts
 *   const ticket = yield* booking.joinQueue(userId, concert!.concertId)
 *   return ticket.entry.status // "active" while there is room
 * })
 * ```
 * @category services
 */
export class Booking extends Context.Service<
  Booking,
  {
    /** Refuses a date's seat classes that break `checkSeatClasses` (`InvalidRequest` naming the field). */
    readonly createConcert: (input: NewConcert) => Effect.Effect<Concert, InvalidRequest | Unavailable | OutcomeUnknown>
    readonly listConcerts: Effect.Effect<ReadonlyArray<Concert>, Unavailable>
    /** Every concert, each with whether it is sold out now, counted by the seat store in one read for all. */
    readonly listConcertsForSale: Effect.Effect<ReadonlyArray<ConcertListing>, Unavailable>
    /** The operator's view of a sale: counted by the stores, so every instance answers alike. */
    readonly saleReport: (concertId: ConcertId) => Effect.Effect<SaleReport, NotFound | Unavailable>
    /**
     * The operator's controls: changes the queue's settings while the sale
     * runs, at once for every instance, and answers the settings in force.
     */
    readonly configureQueue: (
      concertId: ConcertId,
      change: QueueSettingsChange
    ) => Effect.Effect<QueueSettings, NotFound | Unavailable>
    /**
     * Joins the concert's queue, or answers the same token again to a user
     * already in it. With a `HumanCheck` provided, `humanProof` must pass it
     * first (each proof once); without one, it is ignored. A line marked sold
     * out refuses the join (`SoldOut`), unless the user is active in it.
     */
    readonly joinQueue: (
      userId: UserId,
      concertId: ConcertId,
      humanProof?: string | null
    ) => Effect.Effect<QueueTicket, NotFound | HumanCheckFailed | SoldOut | Unavailable>
    readonly queueStatus: (
      userId: UserId,
      queueToken: string
    ) => Effect.Effect<QueueEntry, QueueTokenInvalid | Forbidden | Unavailable>
    /** The status each time it changes, until the entry ends or reads sold out; for the holder of the token. */
    readonly queueEvents: (queueToken: string) => Stream.Stream<QueueEntry, QueueTokenInvalid | Unavailable>
    /**
     * The store's events after `afterSequence`, in sequence order, then each
     * new one as it is recorded (looked for every `eventsPollInterval`):
     * at least once, for a reader that resumes from the last sequence it
     * handled. The stream ends only with a failure of the store.
     */
    readonly events: (afterSequence: number) => Stream.Stream<BookingEvent, Unavailable>
    readonly leaveQueue: (
      userId: UserId,
      queueToken: string
    ) => Effect.Effect<void, QueueTokenInvalid | Forbidden | Unavailable>
    readonly listDates: (
      userId: UserId,
      queueToken: string,
      concertId: ConcertId
    ) => Effect.Effect<ReadonlyArray<DateAvailability>, AdmissionError | NotFound | Unavailable>
    readonly listSeats: (
      userId: UserId,
      queueToken: string,
      dateId: DateId
    ) => Effect.Effect<ReadonlyArray<Seat>, AdmissionError | NotFound | Unavailable>
    readonly hold: (
      userId: UserId,
      queueToken: string,
      dateId: DateId,
      seatNumbers: ReadonlyArray<number>
    ) => Effect.Effect<
      Hold,
      | AdmissionError
      | NotFound
      | InvalidRequest
      | SaleClosed
      | SeatUnavailable
      | HoldLimitExceeded
      | InsufficientBalance
      | Unavailable
      | OutcomeUnknown
    >
    readonly getHold: (userId: UserId, holdId: HoldId) => Effect.Effect<Hold, NotFound | Forbidden | Unavailable>
    readonly releaseHold: (
      userId: UserId,
      holdId: HoldId
    ) => Effect.Effect<void, NotFound | Forbidden | AlreadyPaid | Unavailable | OutcomeUnknown>
    /**
     * Credits the wallet. `by` says who charges: the user (the default) or the host (its payment provider's
     * webhook); their `Idempotency-Key`s are apart, so a user cannot take the key of a host's charge first.
     */
    readonly charge: (
      userId: UserId,
      amountKrw: number,
      idempotencyKey: string | null,
      by?: "user" | "host"
    ) => Effect.Effect<
      ChargeReceipt,
      BalanceLimitExceeded | IdempotencyInFlight | IdempotencyKeyReused | Unavailable | OutcomeUnknown
    >
    readonly balance: (userId: UserId) => Effect.Effect<number, Unavailable>
    /** The balance and what the user's live reserving holds leave available of it, read in one step. */
    readonly funds: (userId: UserId) => Effect.Effect<WalletFunds, Unavailable>
    /**
     * Debits the wallet, sells the hold's seats and records that the queue
     * token has paid, in one atomic step of the store that holds the money,
     * which refuses a second payment with the token (`QueueTokenExpired`).
     * Then it ends the token in the queue, after marking the line sold out if
     * this payment sold the concert's last seat. Once the payment is recorded
     * nothing turns it into an error: marking and ending are retried, and if
     * the queue store stays away the token ends with its active window and the
     * mark is left to the first call after (see `settleSoldOut`).
     */
    readonly pay: (
      userId: UserId,
      queueToken: string,
      holdId: HoldId,
      idempotencyKey: string | null
    ) => Effect.Effect<
      PaymentReceipt,
      | AdmissionError
      | NotFound
      | SaleClosed
      | AlreadyPaid
      | HoldExpired
      | InsufficientBalance
      | IdempotencyInFlight
      | IdempotencyKeyReused
      | Unavailable
      | OutcomeUnknown
    >
    readonly listPayments: (userId: UserId) => Effect.Effect<ReadonlyArray<Payment>, Unavailable>
    /**
     * The buyer cancels a payment (no queue token needed): until the
     * concert's `refundUntilHours` before its date starts, by the seat
     * store's clock, the wallet gets back the amount less the concert's fee
     * (`refundFeeKrw`), and the seats are for sale again at once, in one
     * atomic step. A concert marked sold out is open again.
     */
    readonly refund: (
      userId: UserId,
      paymentId: PaymentId,
      idempotencyKey: string | null
    ) => Effect.Effect<RefundReceipt, RefundFailure>
    /**
     * What the buyer would get back by cancelling `payment` now, by its
     * concert's policy: the fee, the amount, and until when they may cancel
     * (null once refunded). A quote, not a promise: the store judges the
     * deadline by its clock when the refund is made.
     */
    readonly refundQuote: (payment: Payment) => Effect.Effect<RefundQuote | null, NotFound | Unavailable>
    /** The host refunds a payment in full, until its date starts (a cancelled show). */
    readonly refundAsHost: (
      paymentId: PaymentId,
      idempotencyKey: string | null
    ) => Effect.Effect<RefundReceipt, RefundFailure>
    /**
     * The host refunds every payment of a date, each exactly once, at most
     * `Limits.refundsPerCallMax` per call: it answers how many this call
     * refunded and how many remain, and a call after an interruption goes on
     * where the last one stopped.
     */
    readonly refundDate: (
      dateId: DateId
    ) => Effect.Effect<
      { readonly refunded: number; readonly remaining: number },
      NotFound | RefundClosed | BalanceLimitExceeded | Unavailable | OutcomeUnknown
    >
    /**
     * Readiness: one cheap read through the catalog and one through the queue,
     * so every configured store is asked (the wallet and payments share the
     * catalog's database in every adapter set). `Unavailable` names the first
     * store that did not answer.
     */
    readonly checkStores: Effect.Effect<void, Unavailable>
  }
>()("@boxoffice/core/Booking") {
  /** How often `queueEvents` looks for a change. */
  static readonly eventsPollInterval = Duration.seconds(1)

  /** How ending a paid token is retried before it is left to its active window. */
  static readonly endTokenRetry = { times: 3, schedule: Schedule.exponential(Duration.millis(50)) }

  static readonly layer = Layer.effect(
    Booking,
    Effect.gen(function* () {
      const catalog = yield* Catalog
      const inventory = yield* SeatInventory
      const wallet = yield* Wallet
      const payments = yield* Payments
      const queue = yield* Queue
      const idempotencyRecords = yield* IdempotencyRecords
      const events = yield* Events
      const signer = yield* QueueTokenSigner
      // The host's check at the door, if it plugged one in.
      const humanCheck = Option.getOrUndefined(yield* Effect.serviceOption(HumanCheck))

      // Sold out (rules/SoldOut), per instance: when this instance next reads each concert's seats to catch a
      // sold-out concert whose line is not marked, and the concerts whose mark a call of this instance failed
      // to set, which the next call on any of them sets first.
      const soldOutCheckAtMs = new Map<ConcertId, number>()
      const soldOutOwed = new Set<ConcertId>()

      /** Whether the concert is sold out now, by one read of the seat store. */
      const readSoldOut = Effect.fnUntraced(function* (concert: Concert) {
        const upcoming = upcomingDates(concert.dates, yield* Clock.currentTimeMillis)
        return upcoming.length > 0 && isSoldOut(yield* inventory.seatCounts(upcoming))
      })

      /**
       * Marks the line and records `concert.sold-out` (once since the concert's
       * last refund), then reads the seat store once more: a refund that
       * committed after what this mark was based on, and cleared the line
       * before the mark, would otherwise leave it marked with a seat for sale.
       * Seen so, the mark is cleared again.
       */
      const markSoldOut = (concert: Concert) =>
        queue.markSoldOut(concert.concertId, concert.policy.queue).pipe(
          Effect.andThen(events.recordSoldOut(concert.concertId)),
          Effect.andThen(readSoldOut(concert)),
          Effect.flatMap((stillSoldOut) =>
            stillSoldOut ? Effect.void : queue.clearSoldOut(concert.concertId, concert.policy.queue)
          )
        )

      /** Reads the seat store, and marks the concert's line if it is sold out. */
      const markIfSoldOut = (concert: Concert) =>
        Effect.flatMap(readSoldOut(concert), (soldOut) => (soldOut ? markSoldOut(concert) : Effect.void))

      // When this instance last read the seat store for a line that refused a join as sold out, and the
      // concerts whose refund may have committed without its line reopened (the call was cut off or failed
      // after the store's step): the next call on any of them reopens it first.
      const reopenCheckAtMs = new Map<ConcertId, number>()
      const reopenOwed = new Set<ConcertId>()

      /**
       * A refund puts seats back on sale: the seat store is read, and if the
       * concert is not sold out its line's mark is cleared. After a refund it
       * always reads; on a join refused as sold out (`rateLimited`), at most
       * once per `soldOutCheckIntervalMs` per concert, which repairs a mark
       * whose clearing was lost (an instance that crashed between a refund and
       * its clear). Answers whether the line was reopened.
       */
      const reopenIfSeatsBack = (concert: Concert, rateLimited: boolean): Effect.Effect<boolean, Unavailable> =>
        Effect.flatMap(Clock.currentTimeMillis, (nowMs) => {
          if (rateLimited) {
            if (nowMs < (reopenCheckAtMs.get(concert.concertId) ?? 0)) return Effect.succeed(false)
            if (reopenCheckAtMs.size >= 10_000) reopenCheckAtMs.clear()
            reopenCheckAtMs.set(concert.concertId, nowMs + soldOutCheckIntervalMs)
          }
          return Effect.flatMap(readSoldOut(concert), (soldOut) =>
            soldOut
              ? Effect.succeed(false)
              : Effect.as(queue.clearSoldOut(concert.concertId, concert.policy.queue), true)
          )
        })

      /**
       * Runs before a queue call on `concert`. A mark that this instance owes (its
       * payment's mark failed) is set first by whichever call comes next, so that
       * nobody is admitted past it. A poll (`periodic`) also reads the seat store
       * once per `soldOutCheckIntervalMs` per concert at most, the first time one
       * interval after this instance's first poll of the concert: that catches a
       * sold-out concert whose mark was lost (another instance's failure or
       * crash, forgotten queue keys) or that sold out as a date started. A check
       * that fails is tried again after `soldOutRetryIntervalMs` and never fails
       * the call. It only ever sets the mark: a seat once sold stays sold (until
       * refunds, which clear the mark themselves).
       */
      const settleSoldOut = (concert: Concert, periodic: boolean): Effect.Effect<void> =>
        reopenOwed.has(concert.concertId)
          ? reopenIfSeatsBack(concert, false).pipe(
              Effect.andThen(Effect.sync(() => reopenOwed.delete(concert.concertId))),
              Effect.catchCause((cause) =>
                Cause.hasInterruptsOnly(cause)
                  ? Effect.void
                  : Effect.logWarning("a refunded concert's line could not be reopened; it is tried again", cause)
              ),
              Effect.andThen(settleSoldMark(concert, periodic))
            )
          : settleSoldMark(concert, periodic)

      const settleSoldMark = (concert: Concert, periodic: boolean): Effect.Effect<void> => {
        const owed = soldOutOwed.has(concert.concertId)
        if (!owed && !periodic) return Effect.void
        return Effect.flatMap(Clock.currentTimeMillis, (nowMs) => {
          const dueAtMs = soldOutCheckAtMs.get(concert.concertId)
          // An owed mark is due at once; a poll's check one interval after the first poll this instance saw.
          const due = dueAtMs === undefined ? owed : nowMs >= dueAtMs
          if (dueAtMs === undefined || due) {
            // Bounded as the catalog's cache is: forgetting a concert only starts its interval again.
            if (dueAtMs === undefined && soldOutCheckAtMs.size >= 10_000) soldOutCheckAtMs.clear()
            soldOutCheckAtMs.set(concert.concertId, nowMs + soldOutCheckIntervalMs)
          }
          if (!due) return Effect.void
          return markIfSoldOut(concert).pipe(
            Effect.andThen(Effect.sync(() => soldOutOwed.delete(concert.concertId))),
            Effect.catch((error) =>
              Effect.andThen(
                Effect.sync(() => soldOutCheckAtMs.set(concert.concertId, nowMs + soldOutRetryIntervalMs)),
                Effect.logWarning("the sold-out check of a concert failed; it is tried again", error)
              )
            )
          )
        })
      }

      const findConcert = (concertId: ConcertId) =>
        Effect.flatMap(
          catalog.findConcert(concertId),
          Option.match({
            onNone: () => Effect.fail(new NotFound({ entity: "concert", id: concertId })),
            onSome: Effect.succeed
          })
        )
      const findDate = (dateId: DateId) =>
        Effect.flatMap(
          catalog.findDate(dateId),
          Option.match({
            onNone: () => Effect.fail(new NotFound({ entity: "date", id: dateId })),
            onSome: Effect.succeed
          })
        )
      const findHold = (holdId: HoldId) =>
        Effect.flatMap(
          inventory.findHold(holdId),
          Option.match({
            onNone: () => Effect.fail(new NotFound({ entity: "hold", id: holdId })),
            onSome: Effect.succeed
          })
        )

      /** Checks the signature before any store is read, then that the token is the caller's. */
      const verifyFor = Effect.fnUntraced(function* (userId: UserId, queueToken: string) {
        const claims = yield* signer.verify(queueToken)
        if (claims.userId !== userId) return yield* new Forbidden({ detail: "the queue token is another user's" })
        return claims
      })

      const currentEntry = (claims: QueueTokenClaims, policy: QueuePolicy) =>
        Effect.flatMap(
          queue.status(claims.concertId, claims, policy),
          Option.match({
            onNone: () => Effect.fail(new QueueTokenInvalidError({ detail: "the queue token names no entry" })),
            onSome: Effect.succeed
          })
        )

      /** L6: only an active token for this concert may act. */
      const requireActive = Effect.fnUntraced(function* (claims: QueueTokenClaims, concert: Concert) {
        if (claims.concertId !== concert.concertId) {
          return yield* new Forbidden({ detail: "the queue token is for another concert" })
        }
        yield* settleSoldOut(concert, false)
        const entry = yield* currentEntry(claims, concert.policy.queue)
        if (entry.status === "sold-out") return yield* new SoldOut({ concertId: concert.concertId })
        if (entry.status === "waiting" || entry.status === "pending") {
          return yield* new QueueNotAdmitted({ position: entry.position })
        }
        if (entry.status === "expired") return yield* new QueueTokenExpired()
        return entry
      })

      /** The claim of a key on one operation (L7), or none without a key. */
      const claimOf = (userId: UserId, idempotencyKey: string | null, fingerprint: string) =>
        idempotencyKey === null ? null : new IdempotencyClaim({ userId, key: idempotencyKey, fingerprint })

      const createConcert = Effect.fnUntraced(function* (input: NewConcert) {
        const concertId = yield* newId(ConcertId)
        const defaults = SalePolicy.default
        const policy = new SalePolicy({
          queue: new QueuePolicy({
            maxActive: input.queue?.maxActive ?? defaults.queue.maxActive,
            activeSeconds: input.queue?.activeSeconds ?? defaults.queue.activeSeconds,
            admitPerMinute:
              input.queue?.admitPerMinute !== undefined ? input.queue.admitPerMinute : defaults.queue.admitPerMinute,
            ...(input.opensAt === undefined ? {} : { opensAt: input.opensAt })
          }),
          holdSeconds: input.holdSeconds ?? defaults.holdSeconds,
          maxSeatsPerUser: input.maxSeatsPerUser ?? defaults.maxSeatsPerUser,
          holdNeedsFunds: input.holdNeedsFunds ?? defaults.holdNeedsFunds,
          refundUntilHours: input.refundUntilHours ?? defaults.refundUntilHours,
          refundFeePercent: input.refundFeePercent ?? defaults.refundFeePercent
        })
        for (const [index, date] of input.dates.entries()) {
          yield* Effect.fromResult(
            checkSeatClasses(date.classes ?? [], date.seatCount ?? 50, `dates[${index}].classes`)
          )
        }
        const dates = yield* Effect.forEach(input.dates, (date) =>
          Effect.map(
            newId(DateId),
            (dateId) =>
              new ConcertDate({
                dateId,
                concertId,
                startsAt: date.startsAt,
                priceKrw: date.priceKrw,
                seatCount: date.seatCount ?? 50,
                classes: (date.classes ?? []).map((seatClass) => new SeatClass(seatClass))
              })
          )
        )
        const concert = new Concert({ concertId, title: input.title, policy, dates })
        yield* catalog.saveConcert(concert)
        return concert
      }, spanWhenTracing("Booking.createConcert"))

      const joinQueue = Effect.fnUntraced(function* (
        userId: UserId,
        concertId: ConcertId,
        humanProof: string | null = null
      ) {
        const concert = yield* findConcert(concertId)
        if (humanCheck !== undefined) yield* humanCheck.verify(humanProof)
        yield* settleSoldOut(concert, false)
        const request = { tokenId: yield* newId(QueueTokenId), concertId, userId, policy: concert.policy.queue }
        const { entry, created } = yield* queue
          .join(request)
          .pipe(
            Effect.catchTag("SoldOut", (soldOut) =>
              Effect.flatMap(reopenIfSeatsBack(concert, true), (reopened) =>
                reopened ? queue.join(request) : Effect.fail(soldOut)
              )
            )
          )
        // Signing the stored entry again yields the same token for a repeated join. Its ids are the entry's.
        const queueToken = yield* signer.sign(
          QueueTokenClaims.trusted({
            tokenId: entry.tokenId,
            userId,
            concertId,
            issuedAtMs: DateTime.toEpochMillis(entry.joinedAt)
          })
        )
        return { queueToken, entry, created }
      }, spanWhenTracing("Booking.joinQueue"))

      /** The concert a verified token names. */
      const concertOf = (claims: QueueTokenClaims) =>
        Effect.flatMap(
          catalog.findConcert(claims.concertId),
          Option.match({
            onNone: () => Effect.fail(new QueueTokenInvalidError({ detail: "the queue token names no concert" })),
            onSome: Effect.succeed
          })
        )

      // A poll or a stream only shows the holder where they stand: a store may answer it from its copy of the line.
      const statusOf = (claims: QueueTokenClaims) =>
        Effect.flatMap(concertOf(claims), (concert) =>
          Effect.andThen(
            settleSoldOut(concert, true),
            Effect.provideService(currentEntry(claims, concert.policy.queue), QueueStatusForDisplay, claims)
          )
        )

      const queueStatus = Effect.fnUntraced(function* (userId: UserId, queueToken: string) {
        return yield* statusOf(yield* verifyFor(userId, queueToken))
      }, spanWhenTracing("Booking.queueStatus"))

      const sameStatus = (a: QueueEntry, b: QueueEntry) =>
        a.status === b.status &&
        a.position === b.position &&
        a.etaSeconds === b.etaSeconds &&
        Equal.equals(a.activeUntil, b.activeUntil)

      const queueEvents = (queueToken: string) =>
        Stream.unwrap(
          Effect.map(signer.verify(queueToken), (claims) =>
            Stream.fromEffectSchedule(statusOf(claims), Schedule.spaced(Booking.eventsPollInterval)).pipe(
              Stream.changesWith(sameStatus),
              // Both are final for the holder: an ended entry, and a line that admits nobody.
              Stream.takeUntil((entry) => entry.status === "expired" || entry.status === "sold-out")
            )
          )
        )

      const leaveQueue = Effect.fnUntraced(function* (userId: UserId, queueToken: string) {
        const claims = yield* verifyFor(userId, queueToken)
        const concert = yield* concertOf(claims)
        yield* settleSoldOut(concert, false)
        yield* queue.end(claims.concertId, claims, concert.policy.queue)
      }, spanWhenTracing("Booking.leaveQueue"))

      const listDates = Effect.fnUntraced(function* (userId: UserId, queueToken: string, concertId: ConcertId) {
        const claims = yield* verifyFor(userId, queueToken)
        const concert = yield* findConcert(concertId)
        yield* requireActive(claims, concert)
        const nowMs = yield* Clock.currentTimeMillis
        const upcoming = concert.dates.filter((date) => DateTime.toEpochMillis(date.startsAt) > nowMs)
        const left = upcoming.length === 0 ? [] : yield* inventory.availability(upcoming)
        return upcoming.map((date, index) => ({
          date,
          availableSeats: left[index]!.available,
          minPriceKrw: left[index]!.minPriceKrw,
          maxPriceKrw: left[index]!.maxPriceKrw
        }))
      }, spanWhenTracing("Booking.listDates"))

      /** The date, its concert, and proof that the caller may act on it. */
      const admittedDate = Effect.fnUntraced(function* (userId: UserId, queueToken: string, dateId: DateId) {
        const claims = yield* verifyFor(userId, queueToken)
        const date = yield* findDate(dateId)
        const concert = yield* findConcert(date.concertId)
        const entry = yield* requireActive(claims, concert)
        return { date, concert, claims, entry }
      })

      const requireOpen = (date: ConcertDate) =>
        Effect.flatMap(Clock.currentTimeMillis, (nowMs) => Effect.fromResult(checkSaleOpen(date, nowMs)))

      const listSeats = Effect.fnUntraced(function* (userId: UserId, queueToken: string, dateId: DateId) {
        const { date } = yield* admittedDate(userId, queueToken, dateId)
        return yield* inventory.seats(date)
      }, spanWhenTracing("Booking.listSeats"))

      const hold = Effect.fnUntraced(function* (
        userId: UserId,
        queueToken: string,
        dateId: DateId,
        seatNumbers: ReadonlyArray<number>
      ) {
        const { date, concert, entry } = yield* admittedDate(userId, queueToken, dateId)
        yield* requireOpen(date)
        yield* Effect.fromResult(checkSeatRange(seatNumbers, date.seatCount))
        const held = yield* inventory.hold({
          holdId: yield* newId(HoldId),
          userId,
          date,
          seatNumbers: [...seatNumbers].sort((a, b) => a - b),
          holdSeconds: concert.policy.holdSeconds,
          maxSeatsPerUser: concert.policy.maxSeatsPerUser,
          activeUntil: entry.activeUntil!,
          reservesFunds: concert.policy.holdNeedsFunds
        })
        yield* Metric.update(BookingMetrics.holds, 1)
        return held
      }, spanWhenTracing("Booking.hold"))

      const getHold = Effect.fnUntraced(function* (userId: UserId, holdId: HoldId) {
        const found = yield* findHold(holdId)
        if (found.userId !== userId) return yield* new Forbidden({ detail: "the hold is another user's" })
        return found
      }, spanWhenTracing("Booking.getHold"))

      const releaseHold = Effect.fnUntraced(function* (userId: UserId, holdId: HoldId) {
        yield* inventory.release(holdId, userId)
      }, spanWhenTracing("Booking.releaseHold"))

      const charge = Effect.fnUntraced(function* (
        userId: UserId,
        amountKrw: number,
        idempotencyKey: string | null,
        by: "user" | "host" = "user"
      ) {
        const chargeId = yield* newId(ChargeId)
        const receipt = yield* wallet.charge({
          chargeId,
          userId,
          amountKrw,
          idempotency: claimOf(userId, idempotencyKey, `${by === "host" ? "host-charge" : "charge"}:${amountKrw}`)
        })
        // A replay answers the first charge's receipt: it was counted then.
        if (receipt.chargeId === chargeId) yield* Metric.update(BookingMetrics.chargedKrw, amountKrw)
        return receipt
      }, spanWhenTracing("Booking.charge"))

      const funds = Effect.fnUntraced(function* (userId: UserId) {
        return yield* wallet.funds(userId)
      }, spanWhenTracing("Booking.funds"))

      const balance = Effect.fnUntraced(function* (userId: UserId) {
        return yield* wallet.balance(userId)
      }, spanWhenTracing("Booking.balance"))

      const pay = Effect.fnUntraced(function* (
        userId: UserId,
        queueToken: string,
        holdId: HoldId,
        idempotencyKey: string | null
      ) {
        const claims = yield* verifyFor(userId, queueToken)
        const idempotency = claimOf(userId, idempotencyKey, `payment:${holdId}`)
        const admitted = yield* Effect.result(
          Effect.flatMap(concertOf(claims), (concert) => requireActive(claims, concert))
        )
        if (Result.isFailure(admitted)) {
          // A first success ended the token: its retry still gets the first answer.
          const first = idempotency === null ? Option.none() : yield* idempotencyRecords.replay(idempotency)
          if (Option.isNone(first)) return yield* admitted.failure
          // The first success marked the line if it sold out, or left the mark owed.
          yield* endTokenAfterPayment(claims, null)
          return yield* paidReceipt(first.value)
        }
        const paymentId = yield* newId(PaymentId)
        const request = {
          paymentId,
          holdId,
          userId,
          concertId: claims.concertId,
          queueTokenId: claims.tokenId,
          idempotency
        }
        // What the payment left to sell, as its own step saw it; a store that does not say is asked after it.
        const { receipt, seatsLeft } = yield* payments.payReportingSeatsLeft?.(request) ??
          Effect.map(payments.pay(request), (receipt) => ({ receipt, seatsLeft: "held" as SeatsLeft | null }))
        const own = receipt.paymentId === paymentId
        if (own) {
          yield* Metric.update(BookingMetrics.payments, 1)
          yield* Metric.update(BookingMetrics.seatsSold, receipt.seatNumbers.length)
          yield* Metric.update(BookingMetrics.paidKrw, receipt.amountKrw)
        }
        // A replay's first success did its own marking.
        yield* endTokenAfterPayment(claims, own ? seatsLeft : null)
        return receipt
      }, spanWhenTracing("Booking.pay"))

      /** The fingerprint names the operation, so another outcome kind is a store defect. */
      const paidReceipt = (outcome: IdempotentOutcome) =>
        outcome._tag === "Paid"
          ? Effect.succeed(outcome.receipt)
          : Effect.die(new Error("idempotency record holds another operation's outcome"))

      /**
       * The payment has committed: the receipt must reach the client. If it
       * sold the concert's last seat (`seatsLeft` none; held: read the seat
       * store again, now that it has committed, as the payments that hold the
       * rest may have committed too), the line is marked sold out before the
       * token ends, so that its end admits nobody into a sold-out sale. If the
       * queue store fails now, marking and ending are retried apart from this
       * request; if it stays away, the token ends with its active window, and
       * the mark is owed: this instance's next call on the concert sets it
       * first (`settleSoldOut`).
       */
      const endTokenAfterPayment = (claims: QueueTokenClaims, seatsLeft: SeatsLeft | null) => {
        const mayBeSoldOut = seatsLeft === "none" || seatsLeft === "held"
        const end = Effect.gen(function* () {
          const concert = yield* catalog.findConcert(claims.concertId)
          if (Option.isNone(concert)) return
          if (seatsLeft === "none") yield* markSoldOut(concert.value)
          else if (seatsLeft === "held") yield* markIfSoldOut(concert.value)
          yield* queue.end(claims.concertId, claims, concert.value.policy.queue)
        })
        const endLater = end.pipe(
          Effect.retry(Booking.endTokenRetry),
          Effect.andThen(Effect.sync(() => void soldOutOwed.delete(claims.concertId))),
          Effect.catchCause((cause) =>
            Effect.logWarning("a paid queue token could not be ended; it ends with its active window", cause)
          )
        )
        return end.pipe(
          Effect.catchCause(() =>
            Effect.suspend(() => {
              if (mayBeSoldOut) {
                soldOutOwed.add(claims.concertId)
                soldOutCheckAtMs.delete(claims.concertId)
              }
              return Effect.asVoid(Effect.forkDetach(endLater))
            })
          )
        )
      }

      const listPayments = Effect.fnUntraced(function* (userId: UserId) {
        return yield* payments.listPayments(userId)
      }, spanWhenTracing("Booking.listPayments"))

      const findPayment = (paymentId: PaymentId) =>
        Effect.flatMap(
          payments.findPayment(paymentId),
          Option.match({
            onNone: () => Effect.fail(new NotFound({ entity: "payment", id: paymentId })),
            onSome: Effect.succeed
          })
        )

      /**
       * Refunds a payment: the engine prices the fee and the deadline from the
       * concert's policy (rules/Refunds), the store judges them by its clock in
       * one atomic step. A committed refund reopens a sold-out line; if that
       * fails or is cut off, the refund stands and this instance's next call on
       * the concert reopens it first (`reopenOwed`); a join refused as sold out
       * also reads the seat store, at most every `soldOutCheckIntervalMs`, which
       * repairs a line whose instance crashed between the two.
       */
      const refundPayment = Effect.fnUntraced(function* (
        payment: Payment,
        by: "user" | "host",
        idempotencyKey: string | null
      ) {
        const date = yield* findDate(payment.dateId)
        const concert = yield* findConcert(date.concertId)
        const refundId = yield* newId(RefundId)
        // The store's step and the debt it leaves are one: a call cut off after the step still leaves the
        // reopening owed to the next call. Owed only once the refund committed, so that a call reading the
        // seats before the commit does not settle it.
        const receipt = yield* payments
          .refund({
            refundId,
            paymentId: payment.paymentId,
            userId: by === "user" ? payment.userId : null,
            feeKrw: by === "user" ? refundFeeKrw(payment.amountKrw, concert.policy.refundFeePercent) : 0,
            deadlineMs: refundDeadlineMs(concert.policy, DateTime.toEpochMillis(date.startsAt), by),
            by,
            idempotency: claimOf(
              payment.userId,
              idempotencyKey,
              `${by === "host" ? "host-refund" : "refund"}:${payment.paymentId}`
            )
          })
          .pipe(
            Effect.tap((done) =>
              Effect.sync(() => {
                if (done.refundId === refundId) reopenOwed.add(concert.concertId)
              })
            ),
            Effect.uninterruptible
          )
        if (receipt.refundId === refundId) {
          yield* Metric.update(BookingMetrics.refunds, 1)
          yield* Metric.update(BookingMetrics.refundedKrw, receipt.amountKrw)
          yield* reopenIfSeatsBack(concert, false).pipe(
            Effect.andThen(Effect.sync(() => reopenOwed.delete(concert.concertId))),
            Effect.catchCause((cause) =>
              Cause.hasInterruptsOnly(cause)
                ? Effect.void
                : Effect.logWarning("a refunded concert's line could not be reopened; the next call does it", cause)
            )
          )
        }
        return receipt
      })

      const refund = Effect.fnUntraced(function* (userId: UserId, paymentId: PaymentId, idempotencyKey: string | null) {
        const payment = yield* findPayment(paymentId)
        if (payment.userId !== userId) return yield* new Forbidden({ detail: "the payment is another user's" })
        return yield* refundPayment(payment, "user", idempotencyKey)
      }, spanWhenTracing("Booking.refund"))

      const refundQuote = Effect.fnUntraced(function* (payment: Payment) {
        if (payment.refund !== null) return null
        const date = yield* findDate(payment.dateId)
        const { policy } = yield* findConcert(date.concertId)
        const feeKrw = refundFeeKrw(payment.amountKrw, policy.refundFeePercent)
        return {
          amountKrw: payment.amountKrw - feeKrw,
          feeKrw,
          until: DateTime.makeUnsafe(refundDeadlineMs(policy, DateTime.toEpochMillis(date.startsAt), "user"))
        }
      })

      const refundAsHost = Effect.fnUntraced(function* (paymentId: PaymentId, idempotencyKey: string | null) {
        return yield* refundPayment(yield* findPayment(paymentId), "host", idempotencyKey)
      }, spanWhenTracing("Booking.refundAsHost"))

      const refundDate = Effect.fnUntraced(function* (dateId: DateId) {
        yield* findDate(dateId)
        const { payments: batch, total } = yield* payments.unrefundedPayments(dateId, Limits.refundsPerCallMax)
        let refunded = 0
        for (const payment of batch) {
          // A refund that a concurrent call made first counts as done: each payment is refunded once.
          const done = yield* refundPayment(payment, "host", null).pipe(
            Effect.as(true),
            Effect.catchTags({
              AlreadyRefunded: () => Effect.succeed(false),
              NotFound: (error) => Effect.fail(error),
              Forbidden: (error) => Effect.die(error),
              IdempotencyInFlight: (error) => Effect.die(error),
              IdempotencyKeyReused: (error) => Effect.die(error)
            })
          )
          if (done) refunded++
        }
        return { refunded, remaining: total - batch.length }
      }, spanWhenTracing("Booking.refundDate"))

      // Ids that name nothing: the reads find nothing and change nothing.
      const probeConcertId = "00000000-0000-4000-8000-000000000000" as ConcertId
      const probeHolder = {
        tokenId: "00000000-0000-4000-8000-000000000000" as QueueTokenId,
        userId: "boxoffice-store-check" as UserId
      }
      const checkStores = Effect.andThen(
        catalog.findConcert(probeConcertId),
        queue.status(probeConcertId, probeHolder, QueuePolicy.default)
      ).pipe(Effect.asVoid, spanWhenTracing("Booking.checkStores"))

      const saleReport = Effect.fnUntraced(function* (concertId: ConcertId) {
        const concert = yield* findConcert(concertId)
        const [queueStats, dates] = yield* Effect.all(
          [queue.stats(concertId, concert.policy.queue), inventory.seatCounts(concert.dates)],
          { concurrency: 2 }
        )
        return { concert, queue: queueStats, dates }
      }, spanWhenTracing("Booking.saleReport"))

      const listConcertsForSale = Effect.gen(function* () {
        const concerts = yield* catalog.listConcerts
        const nowMs = yield* Clock.currentTimeMillis
        const upcoming = concerts.map((concert) => upcomingDates(concert.dates, nowMs))
        const all = upcoming.flat()
        const counts = all.length === 0 ? [] : yield* inventory.seatCounts(all)
        let first = 0
        return concerts.map((concert, index) => {
          const own = counts.slice(first, first + upcoming[index]!.length)
          first += upcoming[index]!.length
          return { concert, soldOut: isSoldOut(own) }
        })
      }).pipe(spanWhenTracing("Booking.listConcertsForSale"))

      const eventPage = 100
      const eventsAfter = (afterSequence: number): Stream.Stream<BookingEvent, Unavailable> =>
        Stream.paginate(afterSequence, (cursor) =>
          Effect.map(events.read(cursor, eventPage), (page) => {
            const next = page.length === 0 ? cursor : page[page.length - 1]!.sequence
            return [page, Option.some(next)] as const
          }).pipe(
            // An empty page waits before asking again; a full one asks at once.
            Effect.tap(([page]) => (page.length === 0 ? Effect.sleep(Booking.eventsPollInterval) : Effect.void))
          )
        )

      const configureQueue = Effect.fnUntraced(function* (concertId: ConcertId, change: QueueSettingsChange) {
        const concert = yield* findConcert(concertId)
        return yield* queue.configure(concertId, change, concert.policy.queue)
      }, spanWhenTracing("Booking.configureQueue"))

      return Booking.of({
        checkStores,
        createConcert,
        saleReport,
        configureQueue,
        listConcerts: catalog.listConcerts,
        listConcertsForSale,
        joinQueue,
        queueStatus,
        queueEvents,
        events: eventsAfter,
        leaveQueue,
        listDates,
        listSeats,
        hold,
        getHold,
        releaseHold,
        charge,
        balance,
        funds,
        pay,
        listPayments,
        refund,
        refundQuote,
        refundAsHost,
        refundDate
      })
    })
  )
}
