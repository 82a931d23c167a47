/**
 * Tidies the seat rows of expired holds. Correctness never depends on it
 * (L4): a seat is free once `hold_expires_at <= boxoffice_now()`, swept or
 * not. `SKIP LOCKED` lets every instance run it at once without waiting on
 * each other or on a hold or payment in flight.
 *
 * @since 0.1.0
 */
import { Limits, type Unavailable } from "@boxoffice/core"
import { sql } from "drizzle-orm"
import type { Effect } from "effect"
import { PgDatabase, rows } from "./internal/Database.ts"

/**
 * Records `hold.expired` for up to `batchSize` holds whose expiry has passed
 * (each once; a read of the events does the same), then clears up to
 * `batchSize` expired holds from their seat rows, and returns how many seat
 * rows it cleared. An expiry's event is therefore late by at most the
 * sweeper's interval, or less if the events are read sooner.
 *
 * @example
 * ```ts
 * import { Effect, Schedule } from "effect"
 * import { sweepExpiredHolds } from "@boxoffice/postgres"
 * const sweeper = sweepExpiredHolds(500).pipe(Effect.repeat(Schedule.spaced("30 seconds")))
 * ```
 * @category sweeper
 */
export const sweepExpiredHolds = (batchSize: number): Effect.Effect<number, Unavailable, PgDatabase> =>
  PgDatabase.use((database) =>
    database.run(async (db) => {
      await rows(db, sql`select boxoffice_record_expiries(${batchSize})`)
      const cleared = await rows<{ cleared: number }>(
        db,
        sql`
        with expired as (
          select date_id, seat_number from seats
          where hold_expires_at <= (select boxoffice_now())
          order by hold_expires_at
          limit ${batchSize}
          for update skip locked
        )
        update seats s set hold_id = null, hold_user_id = null, hold_expires_at = null
        from expired e where s.date_id = e.date_id and s.seat_number = e.seat_number
        returning 1 as cleared`
      )
      return cleared.length
    })
  )

/**
 * Deletes up to `batchSize` idempotency records older than
 * `Limits.idempotencyRetentionSeconds` (24 h), and returns how many: a key
 * replays its first answer for that long, and no longer.
 *
 * @example
 * ```ts
 * import { Effect, Schedule } from "effect"
 * import { sweepIdempotencyRecords } from "@boxoffice/postgres"
 * const sweeper = sweepIdempotencyRecords(500).pipe(Effect.repeat(Schedule.spaced("30 seconds")))
 * ```
 * @category sweeper
 */
export const sweepIdempotencyRecords = (batchSize: number): Effect.Effect<number, Unavailable, PgDatabase> =>
  PgDatabase.use((database) =>
    database.run(async (db) => {
      const deleted = await rows<{ deleted: number }>(
        db,
        sql`
        with old as (
          select user_id, key from idempotency_records
          where created_at < (select boxoffice_now()) - make_interval(secs => ${Limits.idempotencyRetentionSeconds})
          limit ${batchSize}
          for update skip locked
        )
        delete from idempotency_records r using old
        where r.user_id = old.user_id and r.key = old.key
        returning 1 as deleted`
      )
      return deleted.length
    })
  )
