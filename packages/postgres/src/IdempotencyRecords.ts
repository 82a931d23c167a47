/**
 * Postgres `IdempotencyRecords`: one row per (user, key), claimed with an
 * insert and taken over only after its lease ran out.
 *
 * @since 0.1.0
 */
import {
  IdempotencyInFlight,
  IdempotencyKeyReused,
  IdempotencyRecords,
  type IdempotencyStart,
  Limits
} from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { Effect, Layer, Result } from "effect"
import { decodeOutcome } from "./internal/claims.ts"
import { PgDatabase, rows } from "./internal/Database.ts"

const started: IdempotencyStart = { _tag: "Started" }

/** @category layers */
export const layer: Layer.Layer<IdempotencyRecords, never, PgDatabase> = Layer.effect(
  IdempotencyRecords,
  Effect.gen(function*() {
    const database = yield* PgDatabase
    return IdempotencyRecords.of({
      begin: (claim) =>
        database.transact(async (tx): Promise<Result.Result<IdempotencyStart, IdempotencyInFlight | IdempotencyKeyReused>> => {
          const lease = sql`boxoffice_now() + make_interval(secs => ${Limits.idempotencyLeaseSeconds})`
          const inserted = await rows<{ inserted: number }>(tx, sql`
            insert into idempotency_records (user_id, key, fingerprint, attempt_id, lease_until)
            values (${claim.userId}, ${claim.key}, ${claim.fingerprint}, ${claim.attemptId}, ${lease})
            on conflict (user_id, key) do nothing
            returning 1 as inserted`)
          if (inserted.length === 1) return Result.succeed(started)
          const [row] = await rows<{ fingerprint: string; outcome: unknown; leased: boolean }>(tx, sql`
            select fingerprint, outcome, lease_until > boxoffice_now() as leased
            from idempotency_records where user_id = ${claim.userId} and key = ${claim.key} for update`)
          // The row was abandoned between our insert and select: claim it now.
          if (row === undefined) {
            await tx.execute(sql`
              insert into idempotency_records (user_id, key, fingerprint, attempt_id, lease_until)
              values (${claim.userId}, ${claim.key}, ${claim.fingerprint}, ${claim.attemptId}, ${lease})`)
            return Result.succeed(started)
          }
          if (row.fingerprint !== claim.fingerprint) return Result.fail(new IdempotencyKeyReused())
          if (row.outcome !== null) return Result.succeed({ _tag: "Replay", outcome: decodeOutcome(row.outcome) })
          if (row.leased) return Result.fail(new IdempotencyInFlight())
          await tx.execute(sql`
            update idempotency_records set attempt_id = ${claim.attemptId}, lease_until = ${lease}
            where user_id = ${claim.userId} and key = ${claim.key}`)
          return Result.succeed(started)
        }),
      abandon: (claim) =>
        database.run(async (db) => {
          await db.execute(sql`
            delete from idempotency_records
            where user_id = ${claim.userId} and key = ${claim.key}
              and attempt_id = ${claim.attemptId} and outcome is null`)
        })
    })
  })
)
