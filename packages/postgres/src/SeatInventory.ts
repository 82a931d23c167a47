/**
 * Postgres `SeatInventory`. A hold is one call of `boxoffice_hold`
 * (migration 0007) and a release one call of `boxoffice_release` (migration
 * 0004), each a prepared statement: each locks the seat rows it touches, in
 * seat order, and judges liveness by the clock read after its locks
 * (`hold_expires_at > boxoffice_now()`), so an expired hold frees its seats
 * with no sweeper (L4). A hold that reserves funds also locks its user's
 * wallet row first and is judged against what is available (L2).
 *
 * @since 0.1.0
 */
import {
  type AlreadyPaid,
  checkReleasable,
  checkSeatLimit,
  DateSeatCounts,
  Forbidden,
  Hold,
  type HoldLimitExceeded,
  type HoldState,
  holdStatus,
  InsufficientBalance,
  NotFound,
  QueueTokenExpired,
  Seat,
  SeatInventory,
  SeatUnavailable
} from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { DateTime, Effect, Layer, Option, Result } from "effect"
import { PgDatabase, rows } from "./internal/Database.ts"
import { holdColumns, type HoldRow, intArrayLiteral, toHold } from "./internal/rows.ts"

interface HoldCallRow {
  readonly outcome: "held" | "seat-unavailable" | "hold-limit" | "queue-token-expired" | "insufficient"
  readonly taken: Array<number> | null
  readonly seats_already: number
  readonly created_at_ms: number
  readonly expires_at_ms: number
  readonly available_krw: number | null
}

interface ReleaseRow {
  readonly outcome: "not-found" | "forbidden" | "judged"
  readonly state: HoldState
  readonly expires_at_ms: number
  readonly now_ms: number
}

/** @category layers */
export const layer: Layer.Layer<SeatInventory, never, PgDatabase> = Layer.effect(
  SeatInventory,
  Effect.gen(function* () {
    const database = yield* PgDatabase
    const client = database.client
    return SeatInventory.of({
      seats: (date) =>
        database.run(async (db) => {
          const found = await rows<{ seat_number: number; status: "available" | "held" | "sold" }>(
            db,
            sql`
            select seat_number,
                   case when sold_user_id is not null then 'sold'
                        when hold_expires_at > (select boxoffice_now()) then 'held'
                        else 'available' end as status
            from seats where date_id = ${date.dateId} order by seat_number`
          )
          return found.map(
            (row) => new Seat({ seatNumber: row.seat_number, priceKrw: date.priceKrw, status: row.status })
          )
        }),
      availableSeatCounts: (dates) =>
        database.run(async () => {
          const found = await client<Array<{ date_id: string; available: number }>>`
            select s.date_id, count(*)::int as available from seats s
            where s.date_id = any(${`{${dates.map((date) => date.dateId).join(",")}}`}::uuid[])
              and s.sold_user_id is null and (s.hold_expires_at is null or s.hold_expires_at <= (select boxoffice_now()))
            group by s.date_id`
          const byDate = new Map(found.map((row) => [row.date_id, row.available]))
          return dates.map((date) => byDate.get(date.dateId) ?? 0)
        }),
      seatCounts: (dates) =>
        database.run(async () => {
          const found = await client<Array<{ date_id: string; sold: number; held: number; total: number }>>`
            select s.date_id,
              count(*) filter (where s.sold_user_id is not null)::int as sold,
              count(*) filter (where s.sold_user_id is null and s.hold_expires_at > (select boxoffice_now()))::int as held,
              count(*)::int as total
            from seats s where s.date_id = any(${`{${dates.map((date) => date.dateId).join(",")}}`}::uuid[])
            group by s.date_id`
          const byDate = new Map(found.map((row) => [row.date_id, row]))
          return dates.map((date) => {
            const row = byDate.get(date.dateId) ?? { sold: 0, held: 0, total: 0 }
            return new DateSeatCounts({
              dateId: date.dateId,
              available: row.total - row.sold - row.held,
              held: row.held,
              sold: row.sold,
              // Every seat of a date costs its price, so revenue needs no scan of payments.
              revenueKrw: row.sold * date.priceKrw
            })
          })
        }),
      hold: (request) =>
        Effect.flatMap(
          database.write(async () => {
            const [row] = await client<Array<HoldCallRow>>`
              select * from boxoffice_hold(${request.holdId}, ${request.userId}, ${request.date.dateId},
                ${intArrayLiteral(request.seatNumbers)}::int[], ${request.amountKrw}, ${request.holdSeconds},
                ${request.maxSeatsPerUser}, ${DateTime.toEpochMillis(request.activeUntil)}, ${request.reservesFunds})`
            return row!
          }),
          (row): Effect.Effect<Hold, SeatUnavailable | HoldLimitExceeded | InsufficientBalance | QueueTokenExpired> => {
            switch (row.outcome) {
              case "insufficient":
                return Effect.fail(
                  new InsufficientBalance({ balanceKrw: row.available_krw ?? 0, neededKrw: request.amountKrw })
                )
              case "queue-token-expired":
                return Effect.fail(new QueueTokenExpired())
              case "seat-unavailable":
                return Effect.fail(new SeatUnavailable({ seatNumbers: row.taken ?? [] }))
              case "hold-limit": {
                const limit = checkSeatLimit({
                  seatsAlready: row.seats_already,
                  seatsRequested: request.seatNumbers.length,
                  maxSeatsPerUser: request.maxSeatsPerUser
                })
                return Result.isFailure(limit)
                  ? Effect.fail(limit.failure)
                  : Effect.die(new Error("boxoffice_hold refused a hold that the seat limit allows"))
              }
              case "held":
                return Effect.succeed(
                  new Hold({
                    holdId: request.holdId,
                    userId: request.userId,
                    dateId: request.date.dateId,
                    seatNumbers: request.seatNumbers,
                    amountKrw: request.amountKrw,
                    status: "held",
                    createdAt: DateTime.makeUnsafe(row.created_at_ms),
                    expiresAt: DateTime.makeUnsafe(row.expires_at_ms)
                  })
                )
            }
          }
        ),
      findHold: (holdId) =>
        database.run(async (db) => {
          const [row] = await rows<HoldRow>(
            db,
            sql`
            select ${sql.raw(holdColumns)} from holds where hold_id = ${holdId}`
          )
          return row === undefined ? Option.none() : Option.some(toHold(row))
        }),
      release: (holdId, userId) =>
        Effect.flatMap(
          database.write(async () => {
            const [row] = await client<Array<ReleaseRow>>`select * from boxoffice_release(${holdId}, ${userId})`
            return row!
          }),
          (row): Effect.Effect<void, NotFound | Forbidden | AlreadyPaid> => {
            switch (row.outcome) {
              case "not-found":
                return Effect.fail(new NotFound({ entity: "hold", id: holdId }))
              case "forbidden":
                return Effect.fail(new Forbidden({ detail: "the hold is another user's" }))
              case "judged":
                return Effect.asVoid(
                  Effect.fromResult(checkReleasable(holdId, holdStatus(row.state, row.expires_at_ms, row.now_ms)))
                )
            }
          }
        )
    })
  })
)
