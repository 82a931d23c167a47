/**
 * The HTTP contract of the spec (docs/spec.md) as an `HttpApi`: every route with its
 * Schema-validated params, headers, body and answers, and the problems it
 * may answer with. Shared by the server and the typed client.
 *
 * @since 0.1.0
 */
import {
  BookingEventType,
  ChargeId,
  ConcertId,
  DateId,
  HoldId,
  IdempotencyKey,
  Limits,
  PaymentId,
  RefundId,
  SeatNumbers,
  UserId
} from "@boxoffice/core"
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import {
  AlreadyPaidProblem,
  AlreadyRefundedProblem,
  BalanceLimitExceededProblem,
  ForbiddenProblem,
  HoldExpiredProblem,
  HoldLimitExceededProblem,
  IdempotencyInFlightProblem,
  IdempotencyKeyReusedProblem,
  InsufficientBalanceProblem,
  InvalidRequestProblem,
  NotFoundProblem,
  OutcomeUnknownProblem,
  PayloadTooLargeProblem,
  QueueNotAdmittedProblem,
  QueueTokenExpiredProblem,
  QueueTokenInvalidProblem,
  RefundClosedProblem,
  HumanCheckFailedProblem,
  RateLimitedProblem,
  SaleClosedProblem,
  SeatUnavailableProblem,
  SoldOutProblem,
  TooManyStreamsProblem,
  UnsupportedMediaTypeProblem,
  UnavailableProblem
} from "./Problems.ts"
import { AdminAuth, RateLimited, RequestValidation, UserAuth } from "./Security.ts"
import { packageVersion } from "./Version.ts"

/** The most events one `GET /admin/events` lists: a page stays well under a megabyte. */
export const eventsPageMax = 500
/** The events `GET /admin/events` lists when `limit` is not given. */
export const eventsPageDefault = 100

const intBetween = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))
/**
 * An instant on the wire: strict ISO 8601 with a zone. The lenient parser
 * alone took "0" for the year 2000 (found by the fuzz test).
 */
const Instant = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/)
).pipe(Schema.decodeTo(Schema.DateTimeUtcFromString))

// ---- bodies and answers -------------------------------------------------

/** @category schemas */
export class NewUserResponse extends Schema.Class<NewUserResponse>("NewUserResponse")({
  userId: UserId,
  accessToken: Schema.String
}) {}

/**
 * A class of seats of a date: seats `from..to` (inclusive) cost `price`. The
 * engine refuses (400 `invalid-request`, naming the field) ranges outside
 * the date's seats, overlapping ranges and a name used twice in the date.
 *
 * @category schemas
 */
export const SeatClassBody = Schema.Struct({
  name: Schema.String.check(Schema.isBetweenLength(1, Limits.seatClassNameLengthMax)),
  price: intBetween(0, Limits.priceKrwMax),
  from: intBetween(1, Limits.seatCountMax),
  to: intBetween(1, Limits.seatCountMax)
})

/** @category schemas */
export const CreateConcertBody = Schema.Struct({
  title: Schema.String.check(Schema.isBetweenLength(1, Limits.titleLengthMax)),
  dates: Schema.Array(
    Schema.Struct({
      startsAt: Instant,
      /** The price of every seat outside the date's classes. */
      price: intBetween(0, Limits.priceKrwMax),
      seatCount: Schema.optionalKey(intBetween(1, Limits.seatCountMax)),
      /** Seat classes with their own prices; none by default. */
      classes: Schema.optionalKey(Schema.Array(SeatClassBody).check(Schema.isMaxLength(Limits.seatClassesPerDateMax)))
    })
  ).check(Schema.isBetweenLength(1, Limits.datesPerConcertMax)),
  queue: Schema.optionalKey(
    Schema.Struct({
      maxActive: Schema.optionalKey(intBetween(1, Limits.maxActiveMax)),
      activeSeconds: Schema.optionalKey(intBetween(Limits.activeSecondsMin, Limits.activeSecondsMax)),
      admitPerMinute: Schema.optionalKey(Schema.NullOr(intBetween(1, Limits.admitPerMinuteMax)))
    })
  ),
  holdSeconds: Schema.optionalKey(intBetween(Limits.holdSecondsMin, Limits.holdSecondsMax)),
  maxSeatsPerUser: Schema.optionalKey(intBetween(1, Limits.seatsPerUserMax)),
  /** When the sale opens: joins before it are drawn at random into the line then. A past time means now. */
  opensAt: Schema.optionalKey(Instant),
  /** A hold reserves its amount from the wallet, refused (402) when the available balance is short. Default false. */
  holdNeedsFunds: Schema.optionalKey(Schema.Boolean),
  /** A buyer may cancel until this many hours before a date starts (0: until the start). Default 24. */
  refundUntilHours: Schema.optionalKey(intBetween(0, Limits.refundUntilHoursMax)),
  /** The share of a buyer's refund the organiser keeps, in percent, rounded down to the won. Default 0. */
  refundFeePercent: Schema.optionalKey(intBetween(0, 100))
})

/** @category schemas */
export class CreatedConcert extends Schema.Class<CreatedConcert>("CreatedConcert")({
  concertId: ConcertId,
  dates: Schema.Array(Schema.Struct({ dateId: DateId, startsAt: Instant, seatCount: Schema.Int }))
}) {}

/** The operator's view of a sale: its settings, its queue now and each date's seats. @category schemas */
export class SaleReportResponse extends Schema.Class<SaleReportResponse>("SaleReportResponse")({
  concertId: ConcertId,
  title: Schema.String,
  /** When the sale opens; null when it opened at once. */
  opensAt: Schema.NullOr(Instant),
  settings: Schema.Struct({
    maxActive: Schema.Int,
    activeSeconds: Schema.Int,
    admitPerMinute: Schema.NullOr(Schema.Int),
    paused: Schema.Boolean,
    holdSeconds: Schema.Int,
    maxSeatsPerUser: Schema.Int,
    holdNeedsFunds: Schema.Boolean,
    refundUntilHours: Schema.Int,
    refundFeePercent: Schema.Int
  }),
  queue: Schema.Struct({
    /** Joined before the opening, awaiting the draw. */
    pending: Schema.Int,
    waiting: Schema.Int,
    active: Schema.Int,
    admittedLastMinute: Schema.Int
  }),
  dates: Schema.Array(
    Schema.Struct({
      dateId: DateId,
      startsAt: Instant,
      price: Schema.Int,
      seatCount: Schema.Int,
      available: Schema.Int,
      held: Schema.Int,
      sold: Schema.Int,
      /** KRW taken for the date's sold seats. */
      revenue: Schema.Int,
      /** The same counts for each of the date's seat classes, in the date's order; none without classes. */
      classes: Schema.Array(
        Schema.Struct({
          name: Schema.String,
          price: Schema.Int,
          available: Schema.Int,
          held: Schema.Int,
          sold: Schema.Int,
          revenue: Schema.Int
        })
      )
    })
  )
}) {}

const queueSettingsFields = Schema.Struct({
  maxActive: Schema.optionalKey(intBetween(1, Limits.maxActiveMax)),
  activeSeconds: Schema.optionalKey(intBetween(Limits.activeSecondsMin, Limits.activeSecondsMax)),
  admitPerMinute: Schema.optionalKey(Schema.NullOr(intBetween(1, Limits.admitPerMinuteMax))),
  paused: Schema.optionalKey(Schema.Boolean)
})
const queueSettingsKeys = new Set(Object.keys(queueSettingsFields.fields))

/**
 * A change to a running queue's settings: `maxActive`, `activeSeconds`,
 * `admitPerMinute` (null lifts the cap) and `paused`, each optional. Any
 * other field is refused, so a misspelt control never passes silently.
 *
 * @category schemas
 */
export const QueueSettingsPatch = Schema.Record(Schema.String, Schema.Unknown)
  .check(
    Schema.makeFilter((body: Record<string, unknown>) => {
      const unknown = Object.keys(body).filter((key) => !queueSettingsKeys.has(key))
      return unknown.length === 0 ? undefined : `unknown fields: ${unknown.join(", ")}`
    })
  )
  .pipe(
    Schema.decodeTo(queueSettingsFields),
    Schema.annotate({
      description: "maxActive, activeSeconds, admitPerMinute (null: no cap) and paused, each optional"
    })
  )

/** The settings in force. @category schemas */
export class QueueSettingsResponse extends Schema.Class<QueueSettingsResponse>("QueueSettingsResponse")({
  maxActive: Schema.Int,
  activeSeconds: Schema.Int,
  admitPerMinute: Schema.NullOr(Schema.Int),
  paused: Schema.Boolean
}) {}

/** @category schemas */
export class ConcertSummary extends Schema.Class<ConcertSummary>("ConcertSummary")({
  concertId: ConcertId,
  title: Schema.String,
  /** Every seat of every date that has not started is sold: a join is refused (409 `sold-out`). */
  soldOut: Schema.Boolean
}) {}

const queueStatusFields = {
  /**
   * `pending`: joined before the sale opens, awaiting the draw. `sold-out`: the
   * concert sold out while this token was pending or waiting; nobody more is
   * admitted, and the event stream ends with it.
   */
  status: Schema.Literals(["pending", "waiting", "active", "expired", "sold-out"]),
  position: Schema.NullOr(Schema.Int),
  etaSeconds: Schema.NullOr(Schema.Int),
  activeUntil: Schema.NullOr(Instant),
  /** When the sale opens; null when it opened at once. */
  opensAt: Schema.NullOr(Instant)
}

/** The answer to a status call, and each SSE event. @category schemas */
export class QueueStatusResponse extends Schema.Class<QueueStatusResponse>("QueueStatusResponse")(queueStatusFields) {}

/** A new place in the queue (201). @category schemas */
export class QueueJoined extends Schema.Class<QueueJoined>("QueueJoined")({
  queueToken: Schema.String,
  ...queueStatusFields
}) {}

/** The same place again, for a user already waiting or active (200). @category schemas */
export class QueueRejoined extends Schema.Class<QueueRejoined>("QueueRejoined")({
  queueToken: Schema.String,
  ...queueStatusFields
}) {}

/** @category schemas */
export class DateResponse extends Schema.Class<DateResponse>("DateResponse")({
  dateId: DateId,
  startsAt: Instant,
  seatCount: Schema.Int,
  availableSeats: Schema.Int,
  /** The lowest price among the available seats; null when none is left. */
  minPrice: Schema.NullOr(Schema.Int),
  /** The highest price among the available seats; null when none is left. */
  maxPrice: Schema.NullOr(Schema.Int)
}) {}

/** @category schemas */
export class SeatResponse extends Schema.Class<SeatResponse>("SeatResponse")({
  seatNumber: Schema.Int,
  /** The seat's own price: its class's, or the date's outside every class. */
  price: Schema.Int,
  status: Schema.Literals(["available", "held", "sold"]),
  /** The seat's class; null outside every class. */
  class: Schema.NullOr(Schema.String)
}) {}

/** A seat of a hold or payment, with the price and class fixed when the hold was made. @category schemas */
export const PricedSeatResponse = Schema.Struct({
  seatNumber: Schema.Int,
  price: Schema.Int,
  class: Schema.NullOr(Schema.String)
})

/** @category schemas */
export const HoldBody = Schema.Struct({ seatNumbers: SeatNumbers })

/** @category schemas */
export class HoldResponse extends Schema.Class<HoldResponse>("HoldResponse")({
  holdId: HoldId,
  dateId: DateId,
  status: Schema.Literals(["held", "paid", "expired", "released"]),
  seatNumbers: Schema.Array(Schema.Int),
  /** The sum of `seats`' prices. */
  amount: Schema.Int,
  /** Each seat held, with its price and class: the payment pays these. */
  seats: Schema.Array(PricedSeatResponse),
  expiresAt: Instant
}) {}

/** @category schemas */
export class WalletResponse extends Schema.Class<WalletResponse>("WalletResponse")({
  balance: Schema.Int,
  /** The balance less the amounts of the user's live holds that reserve funds (`holdNeedsFunds`). */
  available: Schema.Int
}) {}

/** @category schemas */
export const ChargeBody = Schema.Struct({ amount: intBetween(Limits.chargeKrwMin, Limits.chargeKrwMax) })

/** @category schemas */
export class ChargeResponse extends Schema.Class<ChargeResponse>("ChargeResponse")({
  chargeId: Schema.String,
  amount: Schema.Int,
  balance: Schema.Int
}) {}

/** @category schemas */
export class PaymentResponse extends Schema.Class<PaymentResponse>("PaymentResponse")({
  paymentId: PaymentId,
  holdId: HoldId,
  amount: Schema.Int,
  seatNumbers: Schema.Array(Schema.Int),
  /** Each seat paid, with its price and class as the hold fixed them; `amount` is their sum. */
  seats: Schema.Array(PricedSeatResponse),
  balance: Schema.Int,
  paidAt: Instant
}) {}

/** A payment's refund: `amount` went back to the wallet, `fee` the organiser kept. @category schemas */
export const RefundSummary = Schema.Struct({
  refundId: Schema.String,
  amount: Schema.Int,
  fee: Schema.Int,
  /** `user`: the buyer cancelled; `host`: the organiser refunded. */
  by: Schema.Literals(["user", "host"]),
  refundedAt: Instant
})

/** @category schemas */
export class PaymentSummary extends Schema.Class<PaymentSummary>("PaymentSummary")({
  paymentId: PaymentId,
  holdId: HoldId,
  dateId: DateId,
  /** `refunded` once refunded: its seats went back on sale. */
  status: Schema.Literals(["paid", "refunded"]),
  amount: Schema.Int,
  seatNumbers: Schema.Array(Schema.Int),
  /** Each seat paid, with its price and class. */
  seats: Schema.Array(PricedSeatResponse),
  paidAt: Instant,
  /** Null while the payment stands. */
  refund: Schema.NullOr(RefundSummary),
  /**
   * What cancelling it now would give back (`amount`) and keep (`fee`), and until
   * when it may be cancelled; null once refunded.
   */
  cancel: Schema.NullOr(Schema.Struct({ amount: Schema.Int, fee: Schema.Int, until: Instant }))
}) {}

/** The answer to a refund: `amount` went back to the wallet, `fee` was kept, `balance` is the wallet's now. @category schemas */
export class RefundResponse extends Schema.Class<RefundResponse>("RefundResponse")({
  refundId: Schema.String,
  paymentId: PaymentId,
  amount: Schema.Int,
  fee: Schema.Int,
  balance: Schema.Int
}) {}

/** What one call of a date's refunds did, and how many payments are left for the next call. @category schemas */
export class DateRefundsResponse extends Schema.Class<DateRefundsResponse>("DateRefundsResponse")({
  refunded: Schema.Int,
  remaining: Schema.Int
}) {}

/**
 * One event of the store's outbox, as `GET /admin/events` lists it and the
 * example server's webhooks POST it (docs/webhooks.md): `timestamp` is when
 * it happened by the store's clock. A field of `data` that does not apply to
 * the type is null (a charge names no concert), `seatNumbers` then empty and
 * `amount` 0.
 *
 * @category schemas
 */
export class EventMessage extends Schema.Class<EventMessage>("EventMessage")({
  type: BookingEventType,
  timestamp: Instant,
  data: Schema.Struct({
    /** Stable: the same event keeps it across retries (the `webhook-id`). */
    eventId: Schema.String,
    /** The event's place in the store's order; rising, with gaps where a write rolled back. */
    sequence: Schema.Int,
    concertId: Schema.NullOr(ConcertId),
    dateId: Schema.NullOr(DateId),
    userId: Schema.NullOr(UserId),
    holdId: Schema.NullOr(HoldId),
    paymentId: Schema.NullOr(PaymentId),
    refundId: Schema.NullOr(RefundId),
    chargeId: Schema.NullOr(ChargeId),
    seatNumbers: Schema.Array(Schema.Int),
    /** KRW a charge added, a hold reserves or a payment took, or a refund gave back. */
    amount: Schema.Int,
    /** KRW of a refund the organiser kept; 0 otherwise. */
    fee: Schema.Int,
    /** A new hold's expiry; null otherwise. */
    expiresAt: Schema.NullOr(Instant)
  })
}) {}

/** What waits for the webhook: null where this server delivers none. @category schemas */
export const EventDeliveryBacklog = Schema.NullOr(
  Schema.Struct({
    /** Events not delivered yet (retries included). */
    pending: Schema.Int,
    /** Events given up on after 24 h of failed attempts. */
    parked: Schema.Int,
    /** The oldest pending event's sequence; null when none is pending. */
    oldestPendingSequence: Schema.NullOr(Schema.Int)
  })
)

/** A page of the outbox, and the webhook's backlog. @category schemas */
export class EventsPage extends Schema.Class<EventsPage>("EventsPage")({
  /** In sequence order, all after the `after` asked for. */
  events: Schema.Array(EventMessage),
  /** The `after` of the next page: the last sequence listed, or the `after` asked for when none is. */
  next: Schema.Int,
  delivery: EventDeliveryBacklog
}) {}

/** A sequence in a query: decimal digits only, so `1e3`, `0x10` and ` 1` are refused rather than coerced. */
const SequenceParam = Schema.String.check(Schema.isPattern(/^\d{1,15}$/)).pipe(Schema.decodeTo(Schema.FiniteFromString))
/** A page size in a query, 1..`eventsPageMax`. */
const PageSizeParam = Schema.String.check(Schema.isPattern(/^\d{1,3}$/)).pipe(
  Schema.decodeTo(Schema.FiniteFromString.check(Schema.isBetween({ minimum: 1, maximum: eventsPageMax })))
)

const refundErrors = [
  NotFoundProblem,
  ForbiddenProblem,
  AlreadyRefundedProblem,
  RefundClosedProblem,
  BalanceLimitExceededProblem,
  IdempotencyInFlightProblem,
  IdempotencyKeyReusedProblem
] as const

/** An SSE heartbeat, sent while nothing changes. @category schemas */
export class QueueHeartbeat extends Schema.Class<QueueHeartbeat>("QueueHeartbeat")({ heartbeat: Instant }) {}

// ---- headers ------------------------------------------------------------

const queueTokenHeader = { "queue-token": Schema.optional(Schema.String) }
const idempotencyHeader = { "idempotency-key": Schema.optional(IdempotencyKey) }

/** Problems every store-backed route may answer with. */
const stores = [UnavailableProblem] as const
/** Problems every route that writes may answer with: the write's answer may be lost. */
const writes = [UnavailableProblem, OutcomeUnknownProblem] as const
/** Problems every route with a JSON body may answer with, before the body is read. */
const bodies = [PayloadTooLargeProblem, UnsupportedMediaTypeProblem] as const
const admission = [
  QueueTokenInvalidProblem,
  QueueNotAdmittedProblem,
  QueueTokenExpiredProblem,
  ForbiddenProblem,
  SoldOutProblem
] as const

// ---- groups ---------------------------------------------------------------

/** Routes anyone may call. @category groups */
export class PublicGroup extends HttpApiGroup.make("public", { topLevel: true }).add(
  HttpApiEndpoint.get("health", "/health", { success: Schema.Struct({ status: Schema.Literal("ok") }) }),
  HttpApiEndpoint.get("ready", "/ready", {
    success: Schema.Struct({ status: Schema.Literal("ready") }),
    error: stores
  }),
  HttpApiEndpoint.post("createUser", "/users", {
    success: NewUserResponse.pipe(HttpApiSchema.status(201)),
    // With a host's identity provider, which issues the accounts.
    error: [NotFoundProblem, RateLimitedProblem]
  }).middleware(RateLimited),
  HttpApiEndpoint.get("listConcerts", "/concerts", { success: Schema.Array(ConcertSummary), error: stores }),
  HttpApiEndpoint.get("queueEvents", "/queue/events", {
    query: { token: Schema.String },
    success: HttpApiSchema.StreamSse({ data: Schema.Union([QueueStatusResponse, QueueHeartbeat]) }),
    error: [QueueTokenInvalidProblem, TooManyStreamsProblem, ...stores]
  })
) {}

/** Admin routes, behind `BOXOFFICE_ADMIN_KEY`. @category groups */
export class AdminGroup extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("createConcert", "/admin/concerts", {
      payload: CreateConcertBody,
      success: CreatedConcert.pipe(HttpApiSchema.status(201)),
      // Seat classes that break the engine's rules (checkSeatClasses).
      error: [InvalidRequestProblem, ...bodies, ...writes]
    }),
    HttpApiEndpoint.get("saleReport", "/admin/concerts/:concertId", {
      params: { concertId: ConcertId },
      success: SaleReportResponse,
      error: [NotFoundProblem, ...stores]
    }),
    HttpApiEndpoint.get("metrics", "/metrics", {
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/plain; version=0.0.4; charset=utf-8" })),
      error: [NotFoundProblem]
    }),
    HttpApiEndpoint.patch("configureQueue", "/admin/concerts/:concertId/queue", {
      params: { concertId: ConcertId },
      payload: QueueSettingsPatch,
      success: QueueSettingsResponse,
      error: [NotFoundProblem, ...bodies, ...stores]
    }),
    // The organiser refunds a payment in full, until its date starts (a cancelled show).
    HttpApiEndpoint.post("refundPaymentAsHost", "/admin/payments/:paymentId/refund", {
      params: { paymentId: PaymentId },
      headers: { "idempotency-key": IdempotencyKey },
      success: RefundResponse,
      error: [...refundErrors, ...writes]
    }),
    // Every payment of a date, at most Limits.refundsPerCallMax a call: the answer says how many remain.
    HttpApiEndpoint.post("refundDate", "/admin/dates/:dateId/refunds", {
      params: { dateId: DateId },
      success: DateRefundsResponse,
      error: [NotFoundProblem, RefundClosedProblem, BalanceLimitExceededProblem, ...writes]
    }),
    // The outbox in sequence order, to read and replay what the webhooks sent (docs/webhooks.md).
    HttpApiEndpoint.get("listEvents", "/admin/events", {
      query: { after: Schema.optionalKey(SequenceParam), limit: Schema.optionalKey(PageSizeParam) },
      success: EventsPage,
      error: [...stores]
    }),
    // The host credits a wallet (its payment provider's webhook): the user is the engine's id or the host's `sub`.
    HttpApiEndpoint.post("chargeUserWallet", "/admin/users/:userId/wallet/charges", {
      params: { userId: Schema.String.check(Schema.isBetweenLength(1, Limits.subjectLengthMax)) },
      headers: { "idempotency-key": IdempotencyKey },
      payload: ChargeBody,
      success: ChargeResponse,
      error: [
        BalanceLimitExceededProblem,
        IdempotencyInFlightProblem,
        IdempotencyKeyReusedProblem,
        ...bodies,
        ...writes
      ]
    })
  )
  .middleware(AdminAuth) {}

// ---- user routes ------------------------------------------------------------

const joinQueue = HttpApiEndpoint.post("joinQueue", "/concerts/:concertId/queue", {
  params: { concertId: ConcertId },
  // The answer to the server's human check, when it has one (an ALTCHA payload, a captcha token).
  headers: { "human-check": Schema.optional(Schema.String) },
  success: [QueueJoined.pipe(HttpApiSchema.status(201)), QueueRejoined],
  error: [NotFoundProblem, HumanCheckFailedProblem, SoldOutProblem, RateLimitedProblem, ...stores]
}).middleware(RateLimited)

const queueStatus = HttpApiEndpoint.get("queueStatus", "/queue/status", {
  headers: queueTokenHeader,
  success: QueueStatusResponse,
  error: [QueueTokenInvalidProblem, ForbiddenProblem, ...stores]
})

const leaveQueue = HttpApiEndpoint.delete("leaveQueue", "/queue", {
  headers: queueTokenHeader,
  success: HttpApiSchema.NoContent,
  error: [QueueTokenInvalidProblem, ForbiddenProblem, ...stores]
})

const listDates = HttpApiEndpoint.get("listDates", "/concerts/:concertId/dates", {
  params: { concertId: ConcertId },
  headers: queueTokenHeader,
  success: Schema.Array(DateResponse),
  error: [...admission, NotFoundProblem, ...stores]
})

const listSeats = HttpApiEndpoint.get("listSeats", "/dates/:dateId/seats", {
  params: { dateId: DateId },
  headers: queueTokenHeader,
  success: Schema.Array(SeatResponse),
  error: [...admission, NotFoundProblem, ...stores]
})

const hold = HttpApiEndpoint.post("hold", "/dates/:dateId/holds", {
  params: { dateId: DateId },
  headers: queueTokenHeader,
  payload: HoldBody,
  success: HoldResponse.pipe(HttpApiSchema.status(201)),
  error: [
    ...admission,
    NotFoundProblem,
    InvalidRequestProblem,
    SaleClosedProblem,
    SeatUnavailableProblem,
    HoldLimitExceededProblem,
    InsufficientBalanceProblem,
    RateLimitedProblem,
    ...bodies,
    ...writes
  ]
}).middleware(RateLimited)

const getHold = HttpApiEndpoint.get("getHold", "/holds/:holdId", {
  params: { holdId: HoldId },
  success: HoldResponse,
  error: [NotFoundProblem, ForbiddenProblem, ...stores]
})

const releaseHold = HttpApiEndpoint.delete("releaseHold", "/holds/:holdId", {
  params: { holdId: HoldId },
  success: HttpApiSchema.NoContent,
  error: [NotFoundProblem, ForbiddenProblem, AlreadyPaidProblem, ...writes]
})

const wallet = HttpApiEndpoint.get("wallet", "/wallet", { success: WalletResponse, error: stores })

const charge = HttpApiEndpoint.post("charge", "/wallet/charges", {
  headers: idempotencyHeader,
  payload: ChargeBody,
  success: ChargeResponse,
  error: [
    BalanceLimitExceededProblem,
    IdempotencyInFlightProblem,
    IdempotencyKeyReusedProblem,
    // Where the host charges wallets itself (`BOXOFFICE_WALLET_CHARGES=admin`).
    ForbiddenProblem,
    RateLimitedProblem,
    ...bodies,
    ...writes
  ]
}).middleware(RateLimited)

const pay = HttpApiEndpoint.post("pay", "/holds/:holdId/payment", {
  params: { holdId: HoldId },
  headers: { ...queueTokenHeader, ...idempotencyHeader },
  success: PaymentResponse.pipe(HttpApiSchema.status(201)),
  error: [
    ...admission,
    NotFoundProblem,
    SaleClosedProblem,
    AlreadyPaidProblem,
    HoldExpiredProblem,
    InsufficientBalanceProblem,
    IdempotencyInFlightProblem,
    IdempotencyKeyReusedProblem,
    RateLimitedProblem,
    ...writes
  ]
}).middleware(RateLimited)

const listPayments = HttpApiEndpoint.get("listPayments", "/payments", {
  success: Schema.Array(PaymentSummary),
  error: stores
})

const refundPayment = HttpApiEndpoint.post("refundPayment", "/payments/:paymentId/refund", {
  params: { paymentId: PaymentId },
  headers: idempotencyHeader,
  success: RefundResponse,
  error: [...refundErrors, ...writes]
})

/** Routes of an authenticated user. @category groups */
export class UserGroup extends HttpApiGroup.make("user")
  .add(
    joinQueue,
    queueStatus,
    leaveQueue,
    listDates,
    listSeats,
    hold,
    getHold,
    releaseHold,
    wallet,
    charge,
    pay,
    listPayments,
    refundPayment
  )
  .middleware(UserAuth) {}

/**
 * The boxoffice API.
 *
 * @example
 * ```ts
 * import { BoxofficeApi } from "@boxoffice/http"
 * import { OpenApi } from "effect/http-api"
 * const document = OpenApi.fromApi(BoxofficeApi)
 * ```
 * @category api
 */
export class BoxofficeApi extends HttpApi.make("boxoffice")
  .add(PublicGroup)
  .add(AdminGroup)
  .add(UserGroup)
  .middleware(RequestValidation)
  .annotateMerge(
    OpenApi.annotations({
      title: "boxoffice",
      version: packageVersion,
      description:
        "A booking engine for ticket sales that sell out in seconds. Errors are RFC 9457 problems with a stable `code`."
    })
  ) {}
