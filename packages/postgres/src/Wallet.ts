/**
 * Postgres `Wallet`: an append-only ledger and a balance row whose check
 * constraint keeps it in 0..cap. A charge, with the claim of its key, is one
 * call of `boxoffice_charge` (migration 0004), a prepared statement.
 * Concurrent charges queue on the balance row and all succeed. What is
 * available is the balance less the user's live reserving holds, which
 * `boxoffice_hold` and `boxoffice_pay` (migration 0008) keep ≥ 0 (L2).
 *
 * @since 0.1.0
 */
import {
  availableKrw,
  BalanceLimitExceeded,
  type ChargeId,
  ChargeReceipt,
  type IdempotencyInFlight,
  type IdempotencyKeyReused,
  LedgerEntry,
  Limits,
  type UserId,
  Wallet,
  WalletFunds
} from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { DateTime, Effect, Layer } from "effect"
import { keyedAnswer, type KeyedOutcome } from "./internal/claims.ts"
import { PgDatabase, rows } from "./internal/Database.ts"
import { epochMs } from "./internal/rows.ts"

interface ChargeRow {
  readonly outcome: "charged" | "balance-limit" | KeyedOutcome
  readonly balance_krw: number
  readonly recorded: unknown
}

/** @category layers */
export const layer: Layer.Layer<Wallet, never, PgDatabase> = Layer.effect(
  Wallet,
  Effect.gen(function* () {
    const database = yield* PgDatabase
    const client = database.client
    return Wallet.of({
      charge: (request) =>
        Effect.flatMap(
          database.write(async () => {
            const [row] = await client<Array<ChargeRow>>`
              select * from boxoffice_charge(${request.chargeId}, ${request.userId}, ${request.amountKrw},
                ${Limits.balanceKrwMax}, ${request.idempotency?.key ?? null}, ${request.idempotency?.fingerprint ?? null})`
            return row!
          }),
          (row): Effect.Effect<ChargeReceipt, IdempotencyInFlight | IdempotencyKeyReused | BalanceLimitExceeded> => {
            switch (row.outcome) {
              case "replay":
              case "in-flight":
              case "key-reused":
                return keyedAnswer(row.outcome, row.recorded, "Charged")
              case "balance-limit":
                return Effect.fail(
                  new BalanceLimitExceeded({ balanceKrw: row.balance_krw, balanceKrwMax: Limits.balanceKrwMax })
                )
              case "charged":
                return Effect.succeed(
                  new ChargeReceipt({
                    chargeId: request.chargeId,
                    amountKrw: request.amountKrw,
                    balanceKrw: row.balance_krw
                  })
                )
            }
          }
        ),
      balance: (userId) =>
        database.run(async (db) => {
          const [row] = await rows<{ balance_krw: number }>(
            db,
            sql`
            select balance_krw::int as balance_krw from wallets where user_id = ${userId}`
          )
          return row?.balance_krw ?? 0
        }),
      funds: (userId) =>
        database.run(async () => {
          // One statement, so one snapshot: the balance and the live reservations (L4: state 'held' and
          // expires_at after the store's clock) as of the same instant. Copy of holdIsLive; available is
          // availableKrw of the two.
          const [row] = await client<Array<{ balance_krw: number; reserved_krw: number }>>`
            select coalesce((select w.balance_krw from wallets w where w.user_id = ${userId}), 0)::int as balance_krw,
              (select coalesce(sum(h.amount_krw), 0) from holds h
               where h.user_id = ${userId} and h.reserves_funds and h.state = 'held'
                 and h.expires_at > (select boxoffice_now()))::int as reserved_krw`
          const { balance_krw, reserved_krw } = row!
          return new WalletFunds({ balanceKrw: balance_krw, availableKrw: availableKrw(balance_krw, [reserved_krw]) })
        }),
      ledger: (userId) =>
        database.run(async (db) => {
          const found = await rows<{
            kind: "charge" | "payment"
            reference_id: string
            amount_krw: number
            at_ms: number
          }>(
            db,
            sql`
            select kind, reference_id, amount_krw::int as amount_krw, ${sql.raw(epochMs("at"))} as at_ms
            from ledger_entries where user_id = ${userId} order by entry_id`
          )
          return found.map(
            (row) =>
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
