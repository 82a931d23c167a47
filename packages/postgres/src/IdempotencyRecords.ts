/**
 * Postgres `IdempotencyRecords`: reads the records that `boxoffice_charge`
 * and `boxoffice_pay` write with their success (migration 0004), in one call
 * of `boxoffice_idempotency_replay`.
 *
 * @since 0.1.0
 */
import { IdempotencyKeyReused, IdempotencyRecords, type IdempotentOutcome } from "@boxoffice/core"
import { Effect, Layer, Option } from "effect"
import { decodeOutcome } from "./internal/claims.ts"
import { PgDatabase } from "./internal/Database.ts"

interface ReplayRow {
  readonly outcome: "none" | "replay" | "key-reused"
  readonly recorded: unknown
}

/** @category layers */
export const layer: Layer.Layer<IdempotencyRecords, never, PgDatabase> = Layer.effect(
  IdempotencyRecords,
  Effect.gen(function* () {
    const database = yield* PgDatabase
    const client = database.client
    return IdempotencyRecords.of({
      replay: (claim) =>
        Effect.flatMap(
          database.run(async () => {
            const [row] = await client<Array<ReplayRow>>`
              select * from boxoffice_idempotency_replay(${claim.userId}, ${claim.key}, ${claim.fingerprint})`
            return row!
          }),
          (row): Effect.Effect<Option.Option<IdempotentOutcome>, IdempotencyKeyReused> => {
            switch (row.outcome) {
              case "none":
                return Effect.succeed(Option.none())
              case "key-reused":
                return Effect.fail(new IdempotencyKeyReused())
              case "replay":
                return Effect.succeed(Option.some(decodeOutcome(row.recorded)))
            }
          }
        )
    })
  })
)
