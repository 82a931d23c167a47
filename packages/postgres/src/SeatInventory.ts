/**
 * Postgres `SeatInventory`. A hold locks the seat rows it asks for, in seat
 * order, and the user's (user, date) advisory lock for the per-user cap;
 * liveness is `hold_expires_at > boxoffice_now()`, so an expired hold frees
 * its seats with no sweeper (L4).
 *
 * @since 0.1.0
 */
import {
  checkReleasable,
  checkSeatLimit,
  Forbidden,
  holdStatus,
  NotFound,
  Seat,
  SeatInventory,
  SeatUnavailable,
  type HoldRequest
} from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { Effect, Layer, Option, Result } from "effect"
import { PgDatabase, rows } from "./internal/Database.ts"
import { holdColumns, type HoldRow, intArray, toHold } from "./internal/rows.ts"

/** @category layers */
export const layer: Layer.Layer<SeatInventory, never, PgDatabase> = Layer.effect(
  SeatInventory,
  Effect.gen(function*() {
    const database = yield* PgDatabase
    /** The deciding check: the wanted seat rows locked in seat order, and the user's cap. */
    const lockedHold = (request: HoldRequest) =>
      database.transact(async (tx) => {
          const { dateId } = request.date
          // Serializes one user's holds on one date, so the cap cannot be raced.
          await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${request.userId} || ${dateId}, 0))`)
          const wanted = await rows<{ seat_number: number; taken: boolean }>(tx, sql`
            select seat_number,
                   (sold_user_id is not null or hold_expires_at > boxoffice_now()) as taken
            from seats
            where date_id = ${dateId} and seat_number = any(${intArray(request.seatNumbers)})
            order by seat_number
            for update`)
          const taken = wanted.filter((row) => row.taken).map((row) => row.seat_number)
          if (taken.length > 0) return Result.fail(new SeatUnavailable({ seatNumbers: taken }))
          if (wanted.length !== request.seatNumbers.length) {
            throw new Error(`date ${dateId} lacks seats ${request.seatNumbers.join(", ")}`)
          }
          const [mine] = await rows<{ seats: number }>(tx, sql`
            select count(*)::int as seats from seats
            where date_id = ${dateId}
              and ((hold_user_id = ${request.userId} and hold_expires_at > boxoffice_now())
                   or sold_user_id = ${request.userId})`)
          const limit = checkSeatLimit({
            seatsAlready: mine!.seats,
            seatsRequested: request.seatNumbers.length,
            maxSeatsPerUser: request.maxSeatsPerUser
          })
          if (Result.isFailure(limit)) return Result.fail(limit.failure)
          const [created] = await rows<HoldRow>(tx, sql`
            insert into holds (hold_id, user_id, date_id, seat_numbers, amount_krw, state, created_at, expires_at)
            values (${request.holdId}, ${request.userId}, ${dateId},
                    ${intArray(request.seatNumbers)}, ${request.amountKrw}, 'held',
                    boxoffice_now(), boxoffice_now() + make_interval(secs => ${request.holdSeconds}))
            returning ${sql.raw(holdColumns)}`)
          await tx.execute(sql`
            update seats set hold_id = ${request.holdId}, hold_user_id = ${request.userId},
                             hold_expires_at = boxoffice_now() + make_interval(secs => ${request.holdSeconds})
            where date_id = ${dateId} and seat_number = any(${intArray(request.seatNumbers)})`)
          return Result.succeed(toHold(created!))
        })
    return SeatInventory.of({
      seats: (date) =>
        database.run(async (db) => {
          const found = await rows<{ seat_number: number; status: "available" | "held" | "sold" }>(db, sql`
            select seat_number,
                   case when sold_user_id is not null then 'sold'
                        when hold_expires_at > boxoffice_now() then 'held'
                        else 'available' end as status
            from seats where date_id = ${date.dateId} order by seat_number`)
          return found.map((row) => new Seat({ seatNumber: row.seat_number, priceKrw: date.priceKrw, status: row.status }))
        }),
      availableSeatCount: (date) =>
        database.run(async (db) => {
          const [row] = await rows<{ available: number }>(db, sql`
            select count(*)::int as available from seats
            where date_id = ${date.dateId} and sold_user_id is null
              and (hold_expires_at is null or hold_expires_at <= boxoffice_now())`)
          return row!.available
        }),
      hold: (request) =>
        // Fast path: in a storm most requests want a seat that is visibly taken. Turn them away with
        // one lock-free read; a seat that looks free goes through the locked check, which decides.
        // (A seat freed between the two reads is refused once; the caller may retry.)
        Effect.flatMap(
          database.run((db) =>
            rows<{ seat_number: number }>(db, sql`
              select seat_number from seats
              where date_id = ${request.date.dateId} and seat_number = any(${intArray(request.seatNumbers)})
                and (sold_user_id is not null or hold_expires_at > boxoffice_now())
              order by seat_number`)
          ),
          (taken) =>
            taken.length > 0
              ? Effect.fail(new SeatUnavailable({ seatNumbers: taken.map((row) => row.seat_number) }))
              : lockedHold(request)
        ),
      findHold: (holdId) =>
        database.run(async (db) => {
          const [row] = await rows<HoldRow>(db, sql`
            select ${sql.raw(holdColumns)} from holds where hold_id = ${holdId}`)
          return row === undefined ? Option.none() : Option.some(toHold(row))
        }),
      release: (holdId, userId) =>
        database.transact(async (tx) => {
          const [row] = await rows<HoldRow>(tx, sql`
            select ${sql.raw(holdColumns)} from holds where hold_id = ${holdId} for update`)
          if (row === undefined) return Result.fail(new NotFound({ entity: "hold", id: holdId }))
          if (row.user_id !== userId) return Result.fail(new Forbidden({ detail: "the hold is another user's" }))
          const releasable = checkReleasable(holdId, holdStatus(row.state, row.expires_at_ms, row.now_ms))
          if (Result.isFailure(releasable)) return Result.fail(releasable.failure)
          if (releasable.success) {
            await tx.execute(sql`update holds set state = 'released' where hold_id = ${holdId}`)
            await tx.execute(sql`
              update seats set hold_id = null, hold_user_id = null, hold_expires_at = null
              where date_id = ${row.date_id} and hold_id = ${holdId}`)
          }
          return Result.succeed(undefined)
        })
    })
  })
)
