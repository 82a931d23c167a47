/**
 * Postgres `Payments`: a payment, with the claim of its key, is one call of
 * `boxoffice_pay` (migration 0008), one transaction (L3) and a prepared
 * statement. It claims the key, then locks its queue token and refuses the
 * token if a payment was made with it, locks the hold, the wallet and the
 * hold's seats, then judges the sale window and the hold by the clock read
 * after those locks, and sells only seats that are still this hold's. It
 * debits only what the user's other live reserving holds leave (L2). The
 * payment row carries its queue token, unique: a token pays once. The unique
 * (date, seat) key of `sales` is the final guard against a double sale. A
 * refund is one call of `boxoffice_refund` (migration 0009), one transaction
 * (L2, L3): it locks the payment, the wallet and the seats, judges the
 * deadline by the clock after those locks, credits the wallet, records the
 * refund (unique per payment) and unsells the seats.
 *
 * @since 0.1.0
 */
import {
  type AlreadyPaid,
  AlreadyRefunded,
  BalanceLimitExceeded,
  checkPayable,
  type DateId,
  Forbidden,
  type HoldExpired,
  type HoldId,
  holdStatus,
  type HoldState,
  type IdempotencyInFlight,
  type IdempotencyKeyReused,
  InsufficientBalance,
  NotFound,
  Payment,
  type PaymentId,
  PaymentReceipt,
  type PaymentRequest,
  Payments,
  type PricedSeat,
  QueueTokenExpired,
  Refund,
  RefundClosed,
  type RefundId,
  RefundReceipt,
  type RefundError,
  type RefundRequest,
  Limits,
  SaleClosed,
  type SeatsLeft,
  type UserId
} from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { DateTime, Effect, Layer, Option } from "effect"
import type { Sql } from "postgres"
import { keyedAnswer, type KeyedOutcome } from "./internal/claims.ts"
import { PgDatabase, rows } from "./internal/Database.ts"
import { epochMs } from "./internal/rows.ts"

interface PayRow {
  readonly outcome:
    | "paid"
    | "queue-token-paid"
    | "not-found"
    | "forbidden"
    | "other-concert"
    | "sale-closed"
    | "judged"
    | "insufficient"
    | KeyedOutcome
  readonly state: HoldState
  readonly date_id: string
  readonly seat_numbers: Array<number>
  readonly amount_krw: number
  readonly expires_at_ms: number
  readonly now_ms: number
  readonly balance_krw: number
  readonly recorded: unknown
  /** The hold's seats with the prices and classes it fixed; set once the payment is judged payable. */
  readonly priced_seats: ReadonlyArray<PricedSeat> | null
}

/** The receipt a row of `boxoffice_pay` answers, or the refusal it names. */
const receiptOf = (
  request: PaymentRequest,
  row: PayRow
): Effect.Effect<
  PaymentReceipt,
  | NotFound
  | Forbidden
  | SaleClosed
  | IdempotencyInFlight
  | IdempotencyKeyReused
  | InsufficientBalance
  | AlreadyPaid
  | HoldExpired
  | QueueTokenExpired
> => {
  switch (row.outcome) {
    case "replay":
    case "in-flight":
    case "key-reused":
      return keyedAnswer(row.outcome, row.recorded, "Paid")
    case "queue-token-paid":
      return Effect.fail(new QueueTokenExpired())
    case "not-found":
      return Effect.fail(new NotFound({ entity: "hold", id: request.holdId }))
    case "forbidden":
      return Effect.fail(new Forbidden({ detail: "the hold is another user's" }))
    case "other-concert":
      return Effect.fail(new Forbidden({ detail: "the queue token is for another concert" }))
    case "sale-closed":
      return Effect.fail(new SaleClosed({ dateId: row.date_id as DateId }))
    case "insufficient":
      return Effect.fail(new InsufficientBalance({ balanceKrw: row.balance_krw, neededKrw: row.amount_krw }))
    case "judged": {
      const payable = checkPayable(request.holdId, holdStatus(row.state, row.expires_at_ms, row.now_ms))
      return payable._tag === "Failure"
        ? Effect.fail(payable.failure)
        : Effect.die(new Error(`boxoffice_pay refused hold ${request.holdId}, which the rules find payable`))
    }
    case "paid":
      return Effect.succeed(
        new PaymentReceipt({
          paymentId: request.paymentId,
          holdId: request.holdId,
          dateId: row.date_id as DateId,
          amountKrw: row.amount_krw,
          seatNumbers: row.seat_numbers,
          seats: row.priced_seats!,
          balanceKrw: row.balance_krw,
          paidAt: DateTime.makeUnsafe(row.now_ms)
        })
      )
  }
}

/**
 * What is left of the concert's seats beside the paid hold's, over its dates
 * that have not started (`SeatsLeft`), read in the payment's own statement
 * after `boxoffice_pay`, with the statement's snapshot: as before the
 * payment, with the hold's own seats left out, which the payment has just
 * sold. Each `exists` stops at the first seat that answers it. A seat sold by
 * a payment that committed while this one waited on its locks may read as
 * held or available here, never the other way round: `none` is exact.
 */
const seatsLeftColumn = (client: Sql, request: PaymentRequest) => client`
  case when p.outcome <> 'paid' then null
    when exists (select 1 from seats s join concert_dates d on d.date_id = s.date_id
      where d.concert_id = ${request.concertId}::uuid and d.starts_at > boxoffice_now()
        and s.hold_id is distinct from ${request.holdId}::uuid and s.sold_user_id is null
        and (s.hold_expires_at is null or s.hold_expires_at <= boxoffice_now())) then 'available'
    when exists (select 1 from seats s join concert_dates d on d.date_id = s.date_id
      where d.concert_id = ${request.concertId}::uuid and d.starts_at > boxoffice_now()
        and s.hold_id is distinct from ${request.holdId}::uuid and s.sold_user_id is null) then 'held'
    else 'none' end`

interface RefundRow {
  readonly outcome:
    | "refunded"
    | "not-found"
    | "forbidden"
    | "already-refunded"
    | "refund-closed"
    | "balance-limit"
    | KeyedOutcome
  readonly amount_krw: number | null
  readonly balance_krw: number | null
  readonly refunded_at_ms: number | null
  readonly recorded: unknown
}

/** The receipt a row of `boxoffice_refund` answers, or the refusal it names. */
const refundReceiptOf = (request: RefundRequest, row: RefundRow): Effect.Effect<RefundReceipt, RefundError> => {
  switch (row.outcome) {
    case "replay":
    case "in-flight":
    case "key-reused":
      return keyedAnswer(row.outcome, row.recorded, "Refunded")
    case "not-found":
      return Effect.fail(new NotFound({ entity: "payment", id: request.paymentId }))
    case "forbidden":
      return Effect.fail(new Forbidden({ detail: "the payment is another user's" }))
    case "already-refunded":
      return Effect.fail(new AlreadyRefunded({ paymentId: request.paymentId }))
    case "refund-closed":
      return Effect.fail(new RefundClosed({ paymentId: request.paymentId }))
    case "balance-limit":
      return Effect.fail(
        new BalanceLimitExceeded({ balanceKrw: Number(row.balance_krw), balanceKrwMax: Limits.balanceKrwMax })
      )
    case "refunded":
      return Effect.succeed(
        new RefundReceipt({
          refundId: request.refundId,
          paymentId: request.paymentId,
          amountKrw: row.amount_krw!,
          feeKrw: request.feeKrw,
          balanceKrw: Number(row.balance_krw),
          refundedAt: DateTime.makeUnsafe(row.refunded_at_ms!)
        })
      )
  }
}

interface PaymentRow {
  readonly payment_id: string
  readonly user_id: string
  readonly hold_id: string
  readonly date_id: string
  readonly amount_krw: number
  readonly seat_numbers: Array<number>
  readonly seats: ReadonlyArray<PricedSeat>
  readonly paid_at_ms: number
  readonly refund_id: string | null
  readonly refund_amount_krw: number | null
  readonly fee_krw: number | null
  readonly refunded_by: "user" | "host" | null
  readonly refunded_at_ms: number | null
}

/** The columns of a `PaymentRow`, over `payments p join holds h left join refunds r`. */
const paymentColumns = sql.raw(`p.payment_id, p.user_id, p.hold_id, p.date_id, p.amount_krw, p.seat_numbers,
  boxoffice_priced_seats(h.seat_numbers, h.seat_prices, h.seat_classes) as seats,
  ${epochMs("p.paid_at")} as paid_at_ms, r.refund_id, r.amount_krw as refund_amount_krw, r.fee_krw,
  r.by as refunded_by, ${epochMs("r.refunded_at")} as refunded_at_ms`)

const paymentOf = (row: PaymentRow) =>
  new Payment({
    paymentId: row.payment_id as PaymentId,
    userId: row.user_id as UserId,
    holdId: row.hold_id as HoldId,
    dateId: row.date_id as DateId,
    amountKrw: row.amount_krw,
    seatNumbers: row.seat_numbers,
    seats: row.seats,
    paidAt: DateTime.makeUnsafe(row.paid_at_ms),
    refund:
      row.refund_id === null
        ? null
        : new Refund({
            refundId: row.refund_id as RefundId,
            amountKrw: row.refund_amount_krw!,
            feeKrw: row.fee_krw!,
            by: row.refunded_by!,
            refundedAt: DateTime.makeUnsafe(row.refunded_at_ms!)
          })
  })

/** @category layers */
export const layer: Layer.Layer<Payments, never, PgDatabase> = Layer.effect(
  Payments,
  Effect.gen(function* () {
    const database = yield* PgDatabase
    const client = database.client
    // One statement: the payment, and what it left to sell.
    const payReportingSeatsLeft = (request: PaymentRequest) =>
      Effect.flatMap(
        database.write(async () => {
          const [row] = await client<Array<PayRow & { readonly seats_left: SeatsLeft | null }>>`
            select p.*, ${seatsLeftColumn(client, request)} as seats_left
            from boxoffice_pay(${request.paymentId}, ${request.holdId}, ${request.userId},
              ${request.concertId}, ${request.queueTokenId}, ${request.idempotency?.key ?? null},
              ${request.idempotency?.fingerprint ?? null}) p`
          return row!
        }),
        (row) =>
          Effect.map(receiptOf(request, row), (receipt) => ({
            receipt,
            seatsLeft: row.outcome === "paid" ? row.seats_left : null
          }))
      )
    return Payments.of({
      payReportingSeatsLeft,
      pay: (request) => Effect.map(payReportingSeatsLeft(request), (paid) => paid.receipt),
      listPayments: (userId) =>
        database.run(async (db) => {
          const found = await rows<PaymentRow>(
            db,
            sql`select ${paymentColumns}
            from payments p join holds h on h.hold_id = p.hold_id left join refunds r on r.payment_id = p.payment_id
            where p.user_id = ${userId} order by p.paid_at, p.payment_id`
          )
          return found.map(paymentOf)
        }),
      findPayment: (paymentId) =>
        database.run(async (db) => {
          const [found] = await rows<PaymentRow>(
            db,
            sql`select ${paymentColumns}
            from payments p join holds h on h.hold_id = p.hold_id left join refunds r on r.payment_id = p.payment_id
            where p.payment_id = ${paymentId}`
          )
          return Option.map(Option.fromNullishOr(found), paymentOf)
        }),
      unrefundedPayments: (dateId, limit) =>
        database.run(async (db) => {
          const found = await rows<PaymentRow & { readonly total: number }>(
            db,
            sql`select ${paymentColumns}, count(*) over ()::int as total
            from payments p join holds h on h.hold_id = p.hold_id left join refunds r on r.payment_id = p.payment_id
            where p.date_id = ${dateId} and r.refund_id is null
            order by p.paid_at, p.payment_id limit ${limit}`
          )
          const total = found.length > 0 ? found[0]!.total : 0
          return { payments: found.map(paymentOf), total }
        }),
      refund: (request) =>
        Effect.flatMap(
          database.write(async () => {
            const [row] = await client<Array<RefundRow>>`
              select * from boxoffice_refund(${request.refundId}, ${request.paymentId}, ${request.userId},
                ${request.feeKrw}, ${request.deadlineMs}, ${request.by}, ${request.idempotency?.userId ?? null},
                ${request.idempotency?.key ?? null}, ${request.idempotency?.fingerprint ?? null})`
            return row!
          }),
          (row) => refundReceiptOf(request, row)
        )
    })
  })
)
