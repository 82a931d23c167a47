/**
 * The engine's typed errors. Each maps one-to-one onto a stable `code` of
 * the spec (docs/spec.md); only the HTTP adapter turns a code into a status.
 * Each has a `message` for logs and people: what failed and, for a store,
 * which one, where and why.
 * Expected outcomes record no stack trace (decision 57); `Unavailable` and
 * `OutcomeUnknown`, failures of a store, keep theirs.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { describeCause } from "./internal/describeCause.ts"
import { OutcomeError } from "./internal/EffectInternals.ts"

/** `7`, `7 and 8`, `7, 8 and 9`. */
const listed = (items: ReadonlyArray<number>): string =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`

/** ` at 127.0.0.1:5432/boxoffice`, or nothing when the adapter did not say where. */
const at = (address: string | undefined): string => (address === undefined ? "" : ` at ${address}`)

/** The body, path or query broke a rule, such as a seat outside the date's range. @category errors */
export class InvalidRequest extends OutcomeError<InvalidRequest>()("InvalidRequest", {
  detail: Schema.String
}) {
  override get message(): string {
    return `invalid request: ${this.detail}`
  }

  get code() {
    return "invalid-request" as const
  }
}

/** A missing, malformed or forged access token. @category errors */
export class Unauthenticated extends OutcomeError<Unauthenticated>()("Unauthenticated", {
  detail: Schema.String
}) {
  override get message(): string {
    return `not authenticated: ${this.detail}`
  }

  get code() {
    return "unauthenticated" as const
  }
}

/** A missing, malformed or forged queue token. @category errors */
export class QueueTokenInvalid extends OutcomeError<QueueTokenInvalid>()("QueueTokenInvalid", {
  detail: Schema.String
}) {
  override get message(): string {
    return `the queue token is invalid: ${this.detail}`
  }

  get code() {
    return "queue-token-invalid" as const
  }
}

/** The queue token is still waiting. @category errors */
export class QueueNotAdmitted extends OutcomeError<QueueNotAdmitted>()("QueueNotAdmitted", {
  position: Schema.NullOr(Schema.Int)
}) {
  override get message(): string {
    return this.position === null
      ? "the queue token is not admitted yet"
      : `the queue token is not admitted yet: it waits at position ${this.position}`
  }

  get code() {
    return "queue-not-admitted" as const
  }
}

/** The queue token was ended by payment, timed out or was left. @category errors */
export class QueueTokenExpired extends OutcomeError<QueueTokenExpired>()("QueueTokenExpired", {}) {
  override get message(): string {
    return "the queue token has ended (paid, timed out or left); join the queue again"
  }

  get code() {
    return "queue-token-expired" as const
  }
}

/** The human check at the door (a proof of work, a captcha) was missing, wrong, spent or expired. @category errors */
export class HumanCheckFailed extends OutcomeError<HumanCheckFailed>()("HumanCheckFailed", {
  detail: Schema.String
}) {
  override get message(): string {
    return `the human check failed: ${this.detail}`
  }

  get code() {
    return "human-check-failed" as const
  }
}

/** Another user's hold or token, or a token for another concert. @category errors */
export class Forbidden extends OutcomeError<Forbidden>()("Forbidden", {
  detail: Schema.String
}) {
  override get message(): string {
    return `forbidden: ${this.detail}`
  }

  get code() {
    return "forbidden" as const
  }
}

/** An unknown concert, date, hold or payment. @category errors */
export class NotFound extends OutcomeError<NotFound>()("NotFound", {
  entity: Schema.Literals(["concert", "date", "hold", "payment"]),
  id: Schema.String
}) {
  override get message(): string {
    return `no ${this.entity} ${this.id}`
  }

  get code() {
    return "not-found" as const
  }
}

/** A requested seat is held or sold; nothing was held. @category errors */
export class SeatUnavailable extends OutcomeError<SeatUnavailable>()("SeatUnavailable", {
  seatNumbers: Schema.Array(Schema.Int)
}) {
  override get message(): string {
    return this.seatNumbers.length === 0
      ? "a requested seat is held or sold; nothing was held"
      : `${this.seatNumbers.length === 1 ? "seat" : "seats"} ${listed(this.seatNumbers)} ${
          this.seatNumbers.length === 1 ? "is" : "are"
        } held or sold; nothing was held`
  }

  get code() {
    return "seat-unavailable" as const
  }
}

/** The user would hold more than `maxSeatsPerUser` seats on that date. @category errors */
export class HoldLimitExceeded extends OutcomeError<HoldLimitExceeded>()("HoldLimitExceeded", {
  maxSeatsPerUser: Schema.Int,
  seatsAlready: Schema.Int
}) {
  override get message(): string {
    return `a user holds or buys at most ${this.maxSeatsPerUser} seats of a date, and has ${this.seatsAlready} already; nothing was held`
  }

  get code() {
    return "hold-limit-exceeded" as const
  }
}

/** The hold was paid already. @category errors */
export class AlreadyPaid extends OutcomeError<AlreadyPaid>()("AlreadyPaid", {
  holdId: Schema.String
}) {
  override get message(): string {
    return `hold ${this.holdId} is paid already`
  }

  get code() {
    return "already-paid" as const
  }
}

/** The payment was refunded already. @category errors */
export class AlreadyRefunded extends OutcomeError<AlreadyRefunded>()("AlreadyRefunded", {
  paymentId: Schema.String
}) {
  override get message(): string {
    return `payment ${this.paymentId} was refunded already`
  }

  get code() {
    return "already-refunded" as const
  }
}

/** The concert's refund cutoff has passed for this payment's date: the buyer can no longer cancel. @category errors */
export class RefundClosed extends OutcomeError<RefundClosed>()("RefundClosed", {
  paymentId: Schema.String
}) {
  override get message(): string {
    return `payment ${this.paymentId} can no longer be refunded: the refund cutoff of its date has passed`
  }

  get code() {
    return "refund-closed" as const
  }
}

/** The same Idempotency-Key is still running. @category errors */
export class IdempotencyInFlight extends OutcomeError<IdempotencyInFlight>()("IdempotencyInFlight", {}) {
  override get message(): string {
    return "a request with the same Idempotency-Key is still running; retry once it has answered"
  }

  get code() {
    return "idempotency-in-flight" as const
  }
}

/** The hold expired or was released before payment. @category errors */
export class HoldExpired extends OutcomeError<HoldExpired>()("HoldExpired", {
  holdId: Schema.String
}) {
  override get message(): string {
    return `hold ${this.holdId} expired or was released before payment`
  }

  get code() {
    return "hold-expired" as const
  }
}

/** The wallet is short; nothing changed. @category errors */
export class InsufficientBalance extends OutcomeError<InsufficientBalance>()("InsufficientBalance", {
  balanceKrw: Schema.Int,
  neededKrw: Schema.Int
}) {
  override get message(): string {
    return `the wallet has ${this.balanceKrw} KRW available and ${this.neededKrw} KRW are needed; nothing changed`
  }

  get code() {
    return "insufficient-balance" as const
  }
}

/** The charge would lift the balance past its cap; nothing changed. @category errors */
export class BalanceLimitExceeded extends OutcomeError<BalanceLimitExceeded>()("BalanceLimitExceeded", {
  balanceKrw: Schema.Int,
  balanceKrwMax: Schema.Int
}) {
  override get message(): string {
    return `the charge would lift the balance of ${this.balanceKrw} KRW past its cap of ${this.balanceKrwMax} KRW; nothing changed`
  }

  get code() {
    return "balance-limit-exceeded" as const
  }
}

/** The same Idempotency-Key came with a different body. @category errors */
export class IdempotencyKeyReused extends OutcomeError<IdempotencyKeyReused>()("IdempotencyKeyReused", {}) {
  override get message(): string {
    return "the Idempotency-Key was used before with another request; nothing changed"
  }

  get code() {
    return "idempotency-key-reused" as const
  }
}

/** A store is unreachable; the request did nothing and can be retried. @category errors */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  store: Schema.String,
  /** Where the store is, as the adapter knows it (`host:port`, a database's name): never a credential. */
  address: Schema.optionalKey(Schema.String),
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `the ${this.store} store${at(this.address)} is unavailable, so nothing happened: ${describeCause(this.cause)}`
  }

  get code() {
    return "unavailable" as const
  }
}

/** The date has started: its seats can no longer be held or paid. @category errors */
export class SaleClosed extends OutcomeError<SaleClosed>()("SaleClosed", {
  dateId: Schema.String
}) {
  override get message(): string {
    return `date ${this.dateId} has started: its seats can no longer be held or paid`
  }

  get code() {
    return "sale-closed" as const
  }
}

/**
 * Every seat of every date of the concert that has not started is sold: a
 * join makes no entry, and a token still waiting is never admitted.
 *
 * @category errors
 */
export class SoldOut extends OutcomeError<SoldOut>()("SoldOut", {
  concertId: Schema.String
}) {
  override get message(): string {
    return `concert ${this.concertId} is sold out`
  }

  get code() {
    return "sold-out" as const
  }
}

/**
 * A write reached the store, but its answer was lost (the connection broke
 * while the write was in flight, or the call outlived its bound): it may or
 * may not have happened. Retry with the same `Idempotency-Key`, which
 * replays the first answer if it did, or look the result up.
 *
 * @category errors
 */
export class OutcomeUnknown extends Schema.TaggedError<OutcomeUnknown>()("OutcomeUnknown", {
  store: Schema.String,
  /** Where the store is, as the adapter knows it (`host:port`, a database's name): never a credential. */
  address: Schema.optionalKey(Schema.String),
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `the ${this.store} store${at(this.address)} took a write but its answer was lost, so it may or may not have happened (${describeCause(this.cause)}); retry with the same Idempotency-Key or look the result up`
  }

  get code() {
    return "outcome-unknown" as const
  }
}

/** Every error a use case can end with. @category errors */
export const BookingError = Schema.Union([
  InvalidRequest,
  Unauthenticated,
  QueueTokenInvalid,
  QueueNotAdmitted,
  QueueTokenExpired,
  HumanCheckFailed,
  Forbidden,
  NotFound,
  SeatUnavailable,
  SaleClosed,
  SoldOut,
  HoldLimitExceeded,
  AlreadyPaid,
  AlreadyRefunded,
  RefundClosed,
  IdempotencyInFlight,
  HoldExpired,
  InsufficientBalance,
  BalanceLimitExceeded,
  IdempotencyKeyReused,
  Unavailable,
  OutcomeUnknown
])
/** @category errors */
export type BookingError = typeof BookingError.Type
