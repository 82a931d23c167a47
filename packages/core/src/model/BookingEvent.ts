/**
 * What happened in a sale, written by the store in the same atomic step as
 * the change it records, so an event is never lost nor invented: the outbox
 * a host reads (`Booking.events`) and the example server's webhooks send.
 *
 * @since 0.6.0
 */
import { Schema } from "effect"
import { ChargeId, ConcertId, DateId, HoldId, PaymentId, RefundId, UserId } from "./Ids.ts"

/**
 * The kinds of event. `hold.expired` has no step of its own: the store writes
 * it when it first notices the expiry (the memory store at its next call,
 * Postgres at its sweeper's next run), at most once.
 *
 * @category models
 */
export const BookingEventType = Schema.Literals([
  "wallet.charged",
  "hold.created",
  "hold.released",
  "hold.expired",
  "payment.completed",
  "payment.refunded",
  "concert.sold-out"
])
/** @category models */
export type BookingEventType = typeof BookingEventType.Type

/**
 * What an event names; a field that does not apply to its type is null (a
 * charge has no concert), `seatNumbers` then empty and `amountKrw` 0.
 * Enough to rebuild every seat's state and every balance from the events
 * alone: `amountKrw` is what a charge added, a payment took or a refund gave
 * back; `expiresAt` is a new hold's expiry.
 *
 * @category models
 */
export const BookingEventData = Schema.Struct({
  concertId: Schema.NullOr(ConcertId),
  dateId: Schema.NullOr(DateId),
  userId: Schema.NullOr(UserId),
  holdId: Schema.NullOr(HoldId),
  paymentId: Schema.NullOr(PaymentId),
  refundId: Schema.NullOr(RefundId),
  chargeId: Schema.NullOr(ChargeId),
  seatNumbers: Schema.Array(Schema.Int),
  amountKrw: Schema.Int,
  /** A refund's fee, kept by the organiser; 0 otherwise. */
  feeKrw: Schema.Int,
  expiresAt: Schema.NullOr(Schema.DateTimeUtc)
})
/** @category models */
export type BookingEventData = typeof BookingEventData.Type

/**
 * One event: a stable id, its type, the store's time, and its place in the
 * store's order (`sequence`, rising and never repeated: once a reader has
 * seen one, no event with a smaller one appears later).
 *
 * @category models
 */
export class BookingEvent extends Schema.Class<BookingEvent>("@boxoffice/core/BookingEvent")({
  eventId: Schema.String,
  sequence: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  type: BookingEventType,
  at: Schema.DateTimeUtc,
  data: BookingEventData
}) {}

/** Every field of `BookingEventData` empty: a base for one event's own fields. @category constructors */
export const emptyEventData: BookingEventData = {
  concertId: null,
  dateId: null,
  userId: null,
  holdId: null,
  paymentId: null,
  refundId: null,
  chargeId: null,
  seatNumbers: [],
  amountKrw: 0,
  feeKrw: 0,
  expiresAt: null
}
