/**
 * Postgres `Payments`: the payment is one transaction (L3). It locks the
 * hold, then the idempotency record, then the wallet, then the seats, and
 * the unique (date, seat) key of `sales` is the final guard against a
 * double sale.
 *
 * @since 0.1.0
 */
import {
  checkPayable,
  type DateId,
  Forbidden,
  type HoldId,
  holdStatus,
  InsufficientBalance,
  NotFound,
  Payment,
  type PaymentId,
  PaymentReceipt,
  Payments,
  type UserId
} from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { DateTime, Effect, Layer, Result } from "effect"
import { lockClaim, recordOutcome } from "./internal/claims.ts"
import { PgDatabase, rows } from "./internal/Database.ts"
import { epochMs, holdColumns, type HoldRow, intArray } from "./internal/rows.ts"

/** @category layers */
export const layer: Layer.Layer<Payments, never, PgDatabase> = Layer.effect(
  Payments,
  Effect.gen(function*() {
    const database = yield* PgDatabase
    return Payments.of({
      pay: (request) =>
        database.transact(async (tx) => {
          const [hold] = await rows<HoldRow>(tx, sql`
            select ${sql.raw(holdColumns)} from holds
            where hold_id = ${request.holdId} for update`)
          if (hold === undefined) return Result.fail(new NotFound({ entity: "hold", id: request.holdId }))
          if (hold.user_id !== request.userId) return Result.fail(new Forbidden({ detail: "the hold is another user's" }))
          const payable = checkPayable(hold.hold_id, holdStatus(hold.state, hold.expires_at_ms, hold.now_ms))
          if (Result.isFailure(payable)) return Result.fail(payable.failure)
          const claim = await lockClaim(tx, request.idempotency)
          if (Result.isFailure(claim)) return Result.fail(claim.failure)
          const [debited] = await rows<{ balance_krw: number }>(tx, sql`
            update wallets set balance_krw = balance_krw - ${hold.amount_krw}
            where user_id = ${request.userId} and balance_krw >= ${hold.amount_krw}
            returning balance_krw::int as balance_krw`)
          if (debited === undefined) {
            const [current] = await rows<{ balance_krw: number }>(tx, sql`
              select balance_krw::int as balance_krw from wallets where user_id = ${request.userId}`)
            return Result.fail(new InsufficientBalance({ balanceKrw: current?.balance_krw ?? 0, neededKrw: hold.amount_krw }))
          }
          await tx.execute(sql`
            insert into payments (payment_id, user_id, hold_id, date_id, amount_krw, seat_numbers, paid_at)
            values (${request.paymentId}, ${request.userId}, ${hold.hold_id}, ${hold.date_id}, ${hold.amount_krw},
                    ${intArray(hold.seat_numbers)}, boxoffice_now())`)
          await tx.execute(sql`
            insert into sales (date_id, seat_number, payment_id, user_id)
            select ${hold.date_id}::uuid, unnest(${intArray(hold.seat_numbers)}), ${request.paymentId}::uuid, ${request.userId}::uuid`)
          await tx.execute(sql`
            update seats set sold_user_id = ${request.userId}, hold_id = null, hold_user_id = null, hold_expires_at = null
            where date_id = ${hold.date_id} and seat_number = any(${intArray(hold.seat_numbers)})`)
          await tx.execute(sql`update holds set state = 'paid' where hold_id = ${hold.hold_id}`)
          await tx.execute(sql`
            insert into ledger_entries (user_id, kind, reference_id, amount_krw, at)
            values (${request.userId}, 'payment', ${request.paymentId}, ${hold.amount_krw}, boxoffice_now())`)
          const receipt = new PaymentReceipt({
            paymentId: request.paymentId,
            holdId: hold.hold_id as HoldId,
            dateId: hold.date_id as DateId,
            amountKrw: hold.amount_krw,
            seatNumbers: hold.seat_numbers,
            balanceKrw: debited.balance_krw,
            paidAt: DateTime.makeUnsafe(hold.now_ms)
          })
          await recordOutcome(tx, request.idempotency, { _tag: "Paid", receipt })
          return Result.succeed(receipt)
        }),
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
