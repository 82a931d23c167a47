/**
 * The RFC 9457 problems of the HTTP contract: one class per stable `code`
 * of the spec (docs/spec.md), served as `application/problem+json` with `type`, `title`,
 * `status`, `detail` and `code`.
 *
 * @since 0.1.0
 */
import type { BookingError } from "@boxoffice/core"
import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"

const typeOf = <const Code extends string>(code: Code) => `urn:boxoffice:problem:${code}` as const
const fields = <const Code extends string>(code: Code) => ({ code: Schema.Literal(code), detail: Schema.String })

/** 400: the body, path or query fails its schema. @category problems */
export class InvalidRequestProblem extends HttpApiError.Problem<InvalidRequestProblem>()(
  "InvalidRequestProblem",
  {
    type: typeOf("invalid-request"),
    status: 400,
    title: "Invalid request"
  },
  fields("invalid-request")
) {}

/** 401: a missing, malformed or forged access token. @category problems */
export class UnauthenticatedProblem extends HttpApiError.Problem<UnauthenticatedProblem>()(
  "UnauthenticatedProblem",
  {
    type: typeOf("unauthenticated"),
    status: 401,
    title: "Unauthenticated"
  },
  fields("unauthenticated")
) {}

/** 401: a missing, malformed or forged queue token. @category problems */
export class QueueTokenInvalidProblem extends HttpApiError.Problem<QueueTokenInvalidProblem>()(
  "QueueTokenInvalidProblem",
  {
    type: typeOf("queue-token-invalid"),
    status: 401,
    title: "Queue token invalid"
  },
  fields("queue-token-invalid")
) {}

/** 403: the token is still waiting. @category problems */
export class QueueNotAdmittedProblem extends HttpApiError.Problem<QueueNotAdmittedProblem>()(
  "QueueNotAdmittedProblem",
  {
    type: typeOf("queue-not-admitted"),
    status: 403,
    title: "Not admitted yet"
  },
  { ...fields("queue-not-admitted"), position: Schema.NullOr(Schema.Int) }
) {}

/** 403: the token was ended by payment, timed out or was left. @category problems */
export class QueueTokenExpiredProblem extends HttpApiError.Problem<QueueTokenExpiredProblem>()(
  "QueueTokenExpiredProblem",
  {
    type: typeOf("queue-token-expired"),
    status: 403,
    title: "Queue token expired"
  },
  fields("queue-token-expired")
) {}

/** 403: another user's hold or token, or a token for another concert. @category problems */
export class ForbiddenProblem extends HttpApiError.Problem<ForbiddenProblem>()(
  "ForbiddenProblem",
  {
    type: typeOf("forbidden"),
    status: 403,
    title: "Forbidden"
  },
  fields("forbidden")
) {}

/** 404: an unknown concert, date or hold. @category problems */
export class NotFoundProblem extends HttpApiError.Problem<NotFoundProblem>()(
  "NotFoundProblem",
  {
    type: typeOf("not-found"),
    status: 404,
    title: "Not found"
  },
  fields("not-found")
) {}

/** 409: a seat is held or sold; nothing was held. @category problems */
export class SeatUnavailableProblem extends HttpApiError.Problem<SeatUnavailableProblem>()(
  "SeatUnavailableProblem",
  {
    type: typeOf("seat-unavailable"),
    status: 409,
    title: "Seat unavailable"
  },
  { ...fields("seat-unavailable"), seatNumbers: Schema.Array(Schema.Int) }
) {}

/** 409: the user would hold more than maxSeatsPerUser seats on that date. @category problems */
export class HoldLimitExceededProblem extends HttpApiError.Problem<HoldLimitExceededProblem>()(
  "HoldLimitExceededProblem",
  {
    type: typeOf("hold-limit-exceeded"),
    status: 409,
    title: "Hold limit exceeded"
  },
  fields("hold-limit-exceeded")
) {}

/** 409: the hold was paid already. @category problems */
export class AlreadyPaidProblem extends HttpApiError.Problem<AlreadyPaidProblem>()(
  "AlreadyPaidProblem",
  {
    type: typeOf("already-paid"),
    status: 409,
    title: "Already paid"
  },
  fields("already-paid")
) {}

/** 409: the payment was refunded already. @category problems */
export class AlreadyRefundedProblem extends HttpApiError.Problem<AlreadyRefundedProblem>()(
  "AlreadyRefundedProblem",
  {
    type: typeOf("already-refunded"),
    status: 409,
    title: "Already refunded"
  },
  fields("already-refunded")
) {}

/** 409: the refund cutoff has passed: the buyer's, or the date's start for the host. @category problems */
export class RefundClosedProblem extends HttpApiError.Problem<RefundClosedProblem>()(
  "RefundClosedProblem",
  {
    type: typeOf("refund-closed"),
    status: 409,
    title: "Refund closed"
  },
  fields("refund-closed")
) {}

/** 409: the same Idempotency-Key is still running. @category problems */
export class IdempotencyInFlightProblem extends HttpApiError.Problem<IdempotencyInFlightProblem>()(
  "IdempotencyInFlightProblem",
  {
    type: typeOf("idempotency-in-flight"),
    status: 409,
    title: "Request in flight"
  },
  fields("idempotency-in-flight")
) {}

/** 409: the charge would lift the balance past its cap. @category problems */
export class BalanceLimitExceededProblem extends HttpApiError.Problem<BalanceLimitExceededProblem>()(
  "BalanceLimitExceededProblem",
  {
    type: typeOf("balance-limit-exceeded"),
    status: 409,
    title: "Balance limit exceeded"
  },
  fields("balance-limit-exceeded")
) {}

/** 410: the hold expired or was released before payment. @category problems */
export class HoldExpiredProblem extends HttpApiError.Problem<HoldExpiredProblem>()(
  "HoldExpiredProblem",
  {
    type: typeOf("hold-expired"),
    status: 410,
    title: "Hold expired"
  },
  fields("hold-expired")
) {}

/** 402: the wallet is short; nothing changed. @category problems */
export class InsufficientBalanceProblem extends HttpApiError.Problem<InsufficientBalanceProblem>()(
  "InsufficientBalanceProblem",
  {
    type: typeOf("insufficient-balance"),
    status: 402,
    title: "Insufficient balance"
  },
  { ...fields("insufficient-balance"), balance: Schema.Int, needed: Schema.Int }
) {}

/** 422: the same Idempotency-Key came with a different body. @category problems */
export class IdempotencyKeyReusedProblem extends HttpApiError.Problem<IdempotencyKeyReusedProblem>()(
  "IdempotencyKeyReusedProblem",
  {
    type: typeOf("idempotency-key-reused"),
    status: 422,
    title: "Idempotency key reused"
  },
  fields("idempotency-key-reused")
) {}

/** 503: a store is unreachable; the request did nothing and can be retried. @category problems */
export class UnavailableProblem extends HttpApiError.Problem<UnavailableProblem>()(
  "UnavailableProblem",
  {
    type: typeOf("unavailable"),
    status: 503,
    title: "Service unavailable"
  },
  fields("unavailable")
) {}

/** 409: the date has started; its seats can no longer be held or paid. @category problems */
export class SaleClosedProblem extends HttpApiError.Problem<SaleClosedProblem>()(
  "SaleClosedProblem",
  {
    type: typeOf("sale-closed"),
    status: 409,
    title: "Sale closed"
  },
  fields("sale-closed")
) {}

/** 409: every seat of every upcoming date is sold: a join makes no entry, and a waiting token is never admitted. @category problems */
export class SoldOutProblem extends HttpApiError.Problem<SoldOutProblem>()(
  "SoldOutProblem",
  {
    type: typeOf("sold-out"),
    status: 409,
    title: "Sold out"
  },
  fields("sold-out")
) {}

/**
 * 504: the write reached the store but its answer was lost, so it may have
 * happened. Retry with the same `Idempotency-Key` (the first answer is
 * replayed if it did) or look the result up.
 *
 * @category problems
 */
export class OutcomeUnknownProblem extends HttpApiError.Problem<OutcomeUnknownProblem>()(
  "OutcomeUnknownProblem",
  {
    type: typeOf("outcome-unknown"),
    status: 504,
    title: "Outcome unknown"
  },
  fields("outcome-unknown")
) {}

/** 429: the queue token holds its SSE streams already. @category problems */
export class TooManyStreamsProblem extends HttpApiError.Problem<TooManyStreamsProblem>()(
  "TooManyStreamsProblem",
  {
    type: typeOf("too-many-streams"),
    status: 429,
    title: "Too many streams"
  },
  fields("too-many-streams")
) {}

/** 403: the human check at the door was missing, wrong, spent or expired. @category problems */
export class HumanCheckFailedProblem extends HttpApiError.Problem<HumanCheckFailedProblem>()(
  "HumanCheckFailedProblem",
  {
    type: typeOf("human-check-failed"),
    status: 403,
    title: "Human check failed"
  },
  fields("human-check-failed")
) {}

/** 429: a rate limit is spent (`Retry-After` says when to come back). @category problems */
export class RateLimitedProblem extends HttpApiError.Problem<RateLimitedProblem>()(
  "RateLimitedProblem",
  {
    type: typeOf("rate-limited"),
    status: 429,
    title: "Rate limited"
  },
  fields("rate-limited")
) {}

/** 413: the body is larger than the server reads (64 KiB by default). @category problems */
export class PayloadTooLargeProblem extends HttpApiError.Problem<PayloadTooLargeProblem>()(
  "PayloadTooLargeProblem",
  {
    type: typeOf("payload-too-large"),
    status: 413,
    title: "Payload too large"
  },
  fields("payload-too-large")
) {}

/** 415: a body that is not `application/json`. @category problems */
export class UnsupportedMediaTypeProblem extends HttpApiError.Problem<UnsupportedMediaTypeProblem>()(
  "UnsupportedMediaTypeProblem",
  {
    type: typeOf("unsupported-media-type"),
    status: 415,
    title: "Unsupported media type"
  },
  fields("unsupported-media-type")
) {}

/** The problem class of each engine error. @category problems */
export interface ProblemByTag {
  readonly InvalidRequest: InvalidRequestProblem
  readonly Unauthenticated: UnauthenticatedProblem
  readonly QueueTokenInvalid: QueueTokenInvalidProblem
  readonly HumanCheckFailed: HumanCheckFailedProblem
  readonly QueueNotAdmitted: QueueNotAdmittedProblem
  readonly QueueTokenExpired: QueueTokenExpiredProblem
  readonly Forbidden: ForbiddenProblem
  readonly NotFound: NotFoundProblem
  readonly SeatUnavailable: SeatUnavailableProblem
  readonly HoldLimitExceeded: HoldLimitExceededProblem
  readonly AlreadyPaid: AlreadyPaidProblem
  readonly AlreadyRefunded: AlreadyRefundedProblem
  readonly RefundClosed: RefundClosedProblem
  readonly IdempotencyInFlight: IdempotencyInFlightProblem
  readonly HoldExpired: HoldExpiredProblem
  readonly InsufficientBalance: InsufficientBalanceProblem
  readonly BalanceLimitExceeded: BalanceLimitExceededProblem
  readonly IdempotencyKeyReused: IdempotencyKeyReusedProblem
  readonly Unavailable: UnavailableProblem
  readonly SaleClosed: SaleClosedProblem
  readonly SoldOut: SoldOutProblem
  readonly OutcomeUnknown: OutcomeUnknownProblem
}

/** The problems a union of engine errors maps to. @category problems */
export type ProblemFor<E extends BookingError> = ProblemByTag[E["_tag"]]

/**
 * The problem for a typed engine error. Every `BookingError` has one.
 *
 * @example
 * ```ts
 * import { NotFound } from "@boxoffice/core"
 * import { toProblem } from "@boxoffice/http"
 * toProblem(new NotFound({ entity: "hold", id: "x" })).status // 404
 * ```
 * @category problems
 */
export const toProblem = <E extends BookingError>(error: E): ProblemFor<E> => problemOf(error) as ProblemFor<E>

const problemOf = (error: BookingError): ProblemByTag[keyof ProblemByTag] => {
  switch (error._tag) {
    case "InvalidRequest":
      return new InvalidRequestProblem({ code: error.code, detail: error.detail })
    case "Unauthenticated":
      return new UnauthenticatedProblem({ code: error.code, detail: error.detail })
    case "QueueTokenInvalid":
      return new QueueTokenInvalidProblem({ code: error.code, detail: error.detail })
    case "QueueNotAdmitted":
      return new QueueNotAdmittedProblem({
        code: error.code,
        detail: "the queue token is still waiting",
        position: error.position
      })
    case "QueueTokenExpired":
      return new QueueTokenExpiredProblem({
        code: error.code,
        detail: "the queue token was ended by payment, timed out or was left"
      })
    case "HumanCheckFailed":
      return new HumanCheckFailedProblem({ code: error.code, detail: error.detail })
    case "Forbidden":
      return new ForbiddenProblem({ code: error.code, detail: error.detail })
    case "NotFound":
      return new NotFoundProblem({ code: error.code, detail: `no ${error.entity} ${error.id}` })
    case "SeatUnavailable":
      return new SeatUnavailableProblem({
        code: error.code,
        // "seat 12 is held or sold; …", "seats 12 and 13 are …": the engine's own words.
        detail: error.message,
        seatNumbers: error.seatNumbers
      })
    case "HoldLimitExceeded":
      return new HoldLimitExceededProblem({
        code: error.code,
        detail: `at most ${error.maxSeatsPerUser} seats per user on a date; ${error.seatsAlready} already`
      })
    case "AlreadyPaid":
      return new AlreadyPaidProblem({ code: error.code, detail: `hold ${error.holdId} was paid already` })
    case "AlreadyRefunded":
      return new AlreadyRefundedProblem({ code: error.code, detail: `payment ${error.paymentId} was refunded already` })
    case "RefundClosed":
      return new RefundClosedProblem({
        code: error.code,
        detail: `payment ${error.paymentId} can no longer be refunded: its cutoff has passed`
      })
    case "IdempotencyInFlight":
      return new IdempotencyInFlightProblem({
        code: error.code,
        detail: "a request with this Idempotency-Key is still running"
      })
    case "HoldExpired":
      return new HoldExpiredProblem({ code: error.code, detail: `hold ${error.holdId} expired or was released` })
    case "InsufficientBalance":
      return new InsufficientBalanceProblem({
        code: error.code,
        detail: `the wallet holds ${error.balanceKrw} KRW; ${error.neededKrw} KRW are needed`,
        balance: error.balanceKrw,
        needed: error.neededKrw
      })
    case "BalanceLimitExceeded":
      return new BalanceLimitExceededProblem({
        code: error.code,
        detail: `a balance is at most ${error.balanceKrwMax} KRW`
      })
    case "IdempotencyKeyReused":
      return new IdempotencyKeyReusedProblem({
        code: error.code,
        detail: "this Idempotency-Key came with another body"
      })
    case "Unavailable":
      return new UnavailableProblem({ code: error.code, detail: `the ${error.store} store is unreachable; retry` })
    case "SaleClosed":
      return new SaleClosedProblem({ code: error.code, detail: `date ${error.dateId} has started; its sale is closed` })
    case "SoldOut":
      return new SoldOutProblem({
        code: error.code,
        detail: `concert ${error.concertId} is sold out: every seat of every upcoming date is sold`
      })
    case "OutcomeUnknown":
      return new OutcomeUnknownProblem({
        code: error.code,
        detail: `the ${error.store} store took the write but its answer was lost; retry with the same Idempotency-Key or look the result up`
      })
  }
}
