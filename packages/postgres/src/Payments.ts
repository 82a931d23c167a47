/**
 * Postgres `Payments`: a payment is one call of `boxoffice_pay` (migration
 * 0003), one transaction (L3). It locks the hold, the idempotency record, the
 * wallet and the hold's seats, then judges the hold by the clock read after
 * those locks, and sells only seats that are still this hold's. The unique
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
  IdempotencyInFlight,
  InsufficientBalance,
  NotFound,
  Payment,
  type PaymentId,
  PaymentReceipt,
  Payments,
  type UserId
} from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { DateTime, Effect, Layer } from "effect"
import { PgDatabase, rows } from "./internal/Database.ts"
import { epochMs } from "./internal/rows.ts"

interface PayRow {
  readonly outcome: "paid" | "not-found" | "forbidden" | "judged" | "in-flight" | "insufficient"
  readonly state: HoldState
  readonly date_id: string
  readonly seat_numbers: Array<number>
  readonly amount_krw: number
  readonly expires_at_ms: number
  readonly now_ms: number
  readonly balance_krw: number
}

/** @category layers */
export const layer: Layer.Layer<Payments, never, PgDatabase> = Layer.effect(
  Payments,
  Effect.gen(function*() {
    const database = yield* PgDatabase
    return Payments.of({
      pay: (request) =>
        Effect.flatMap(
          database.write(async (db) => {
            const [row] = await rows<PayRow>(db, sql`
              select * from boxoffice_pay(${request.paymentId}, ${request.holdId}, ${request.userId},
                ${request.idempotency?.key ?? null}, ${request.idempotency?.attemptId ?? null})`)
            return row!
          }),
          (row): Effect.Effect<
            PaymentReceipt,
            NotFound | Forbidden | IdempotencyInFlight | InsufficientBalance | AlreadyPaid | HoldExpired
          > => {
            switch (row.outcome) {
              case "not-found":
                return Effect.fail(new NotFound({ entity: "hold", id: request.holdId }))
              case "forbidden":
                return Effect.fail(new Forbidden({ detail: "the hold is another user's" }))
              case "in-flight":
                return Effect.fail(new IdempotencyInFlight())
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
                    balanceKrw: row.balance_krw,
                    paidAt: DateTime.makeUnsafe(row.now_ms)
                  })
                )
            }
          }
        ),
      listPayments: (userId) =>
        database.run(async (db) => {
          const found = await rows<{
            payment_id: string
            hold_id: string
            date_id: string
            amount_krw: number
            seat_numbers: Array<number>
            paid_at_ms: number
          }>(db, sql`
            select payment_id, hold_id, date_id, amount_krw, seat_numbers, ${sql.raw(epochMs("paid_at"))} as paid_at_ms
            from payments where user_id = ${userId} order by paid_at, payment_id`)
          return found.map((row) =>
            new Payment({
              paymentId: row.payment_id as PaymentId,
              userId: userId as UserId,
              holdId: row.hold_id as HoldId,
              dateId: row.date_id as DateId,
              amountKrw: row.amount_krw,
              seatNumbers: row.seat_numbers,
              paidAt: DateTime.makeUnsafe(row.paid_at_ms)
            })
          )
        })
    })
  })
)
