/**
 * Postgres `IdempotencyRecords`: one row per (user, key), claimed by one call
 * of `boxoffice_idempotency_begin` (migration 0003) and taken over only after
 * its lease ran out. A begin whose answer was lost can at most leave a lease,
 * which runs out by itself, so it is `unavailable`, never `outcome-unknown`.
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
import { Effect, Layer } from "effect"
import { decodeOutcome } from "./internal/claims.ts"
import { PgDatabase, rows } from "./internal/Database.ts"

interface BeginRow {
  readonly outcome: "started" | "replay" | "in-flight" | "key-reused"
  readonly recorded: unknown
}

/** @category layers */
export const layer: Layer.Layer<IdempotencyRecords, never, PgDatabase> = Layer.effect(
  IdempotencyRecords,
  Effect.gen(function*() {
    const database = yield* PgDatabase
    return IdempotencyRecords.of({
      begin: (claim) =>
        Effect.flatMap(
          database.run(async (db) => {
            const [row] = await rows<BeginRow>(db, sql`
              select * from boxoffice_idempotency_begin(${claim.userId}, ${claim.key}, ${claim.fingerprint},
                ${claim.attemptId}, ${Limits.idempotencyLeaseSeconds})`)
            return row!
          }),
          (row): Effect.Effect<IdempotencyStart, IdempotencyInFlight | IdempotencyKeyReused> => {
            switch (row.outcome) {
              case "started":
                return Effect.succeed({ _tag: "Started" })
              case "replay":
                return Effect.succeed({ _tag: "Replay", outcome: decodeOutcome(row.recorded) })
              case "in-flight":
                return Effect.fail(new IdempotencyInFlight())
              case "key-reused":
                return Effect.fail(new IdempotencyKeyReused())
            }
          }
        ),
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
