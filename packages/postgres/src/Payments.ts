/**
 * Postgres `Payments`: a payment, with the claim of its key, is one call of
 * `boxoffice_pay` (migration 0008), one transaction (L3) and a prepared
 * statement. It claims the key, then locks its queue token and refuses the
 * token if a payment was made with it, locks the hold, the wallet and the
 * hold's seats, then judges the sale window and the hold by the clock read
 * after those locks, and sells only seats that are still this hold's. It
 * debits only what the user's other live reserving holds leave (L2). The
 * payment row carries its queue token, unique: a token pays once. The unique
 * (date, seat) key of `sales` is the final guard against a double sale.
 *
 * @since 0.1.0
 */
import {
  type AlreadyPaid,
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
  SaleClosed,
  type SeatsLeft,
  type UserId
} from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { DateTime, Effect, Layer } from "effect"
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
          const found = await rows<{
            payment_id: string
            hold_id: string
            date_id: string
            amount_krw: number
            seat_numbers: Array<number>
            seats: ReadonlyArray<PricedSeat>
            paid_at_ms: number
          }>(
            db,
            sql`
            select p.payment_id, p.hold_id, p.date_id, p.amount_krw, p.seat_numbers,
              boxoffice_priced_seats(h.seat_numbers, h.seat_prices, h.seat_classes) as seats,
              ${sql.raw(epochMs("p.paid_at"))} as paid_at_ms
            from payments p join holds h on h.hold_id = p.hold_id
            where p.user_id = ${userId} order by p.paid_at, p.payment_id`
          )
          return found.map(
            (row) =>
              new Payment({
                paymentId: row.payment_id as PaymentId,
                userId: userId as UserId,
                holdId: row.hold_id as HoldId,
                dateId: row.date_id as DateId,
                amountKrw: row.amount_krw,
                seatNumbers: row.seat_numbers,
                seats: row.seats,
                paidAt: DateTime.makeUnsafe(row.paid_at_ms)
              })
          )
        })
    })
  })
)
