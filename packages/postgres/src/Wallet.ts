/**
 * Postgres `Wallet`: an append-only ledger and a balance row whose check
 * constraint keeps it in 0..cap. Concurrent charges queue on the balance
 * row and all succeed.
 *
 * @since 0.1.0
 */
import { BalanceLimitExceeded, ChargeReceipt, type ChargeId, LedgerEntry, Limits, type UserId, Wallet } from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { DateTime, Effect, Layer, Result } from "effect"
import { lockClaim, recordOutcome } from "./internal/claims.ts"
import { PgDatabase, rows } from "./internal/Database.ts"
import { epochMs } from "./internal/rows.ts"

/** @category layers */
export const layer: Layer.Layer<Wallet, never, PgDatabase> = Layer.effect(
  Wallet,
  Effect.gen(function*() {
    const database = yield* PgDatabase
    return Wallet.of({
      charge: (request) =>
        database.transact(async (tx) => {
          const claim = await lockClaim(tx, request.idempotency)
          if (Result.isFailure(claim)) return Result.fail(claim.failure)
          const [credited] = await rows<{ balance_krw: number }>(tx, sql`
            insert into wallets as w (user_id, balance_krw) values (${request.userId}, ${request.amountKrw})
            on conflict (user_id) do update set balance_krw = w.balance_krw + excluded.balance_krw
              where w.balance_krw + excluded.balance_krw <= ${Limits.balanceKrwMax}
            returning balance_krw::int as balance_krw`)
          if (credited === undefined) {
            const [current] = await rows<{ balance_krw: number }>(tx, sql`
              select balance_krw::int as balance_krw from wallets where user_id = ${request.userId}`)
            return Result.fail(new BalanceLimitExceeded({ balanceKrw: current!.balance_krw, balanceKrwMax: Limits.balanceKrwMax }))
          }
          await tx.execute(sql`
            insert into ledger_entries (user_id, kind, reference_id, amount_krw, at)
            values (${request.userId}, 'charge', ${request.chargeId}, ${request.amountKrw}, boxoffice_now())`)
          const receipt = new ChargeReceipt({
            chargeId: request.chargeId,
            amountKrw: request.amountKrw,
            balanceKrw: credited.balance_krw
          })
          await recordOutcome(tx, request.idempotency, { _tag: "Charged", receipt })
          return Result.succeed(receipt)
        }),
      balance: (userId) =>
        database.run(async (db) => {
          const [row] = await rows<{ balance_krw: number }>(db, sql`
            select balance_krw::int as balance_krw from wallets where user_id = ${userId}`)
          return row?.balance_krw ?? 0
        }),
      ledger: (userId) =>
        database.run(async (db) => {
          const found = await rows<{ kind: "charge" | "payment"; reference_id: string; amount_krw: number; at_ms: number }>(db, sql`
            select kind, reference_id, amount_krw::int as amount_krw, ${sql.raw(epochMs("at"))} as at_ms
            from ledger_entries where user_id = ${userId} order by entry_id`)
          return found.map((row) =>
            new LedgerEntry({
              userId: userId as UserId,
              kind: row.kind,
              referenceId: row.reference_id as ChargeId,
              amountKrw: row.amount_krw,
              at: DateTime.makeUnsafe(row.at_ms)
            })
          )
        })
    })
  })
)
