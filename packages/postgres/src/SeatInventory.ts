/**
 * Postgres `SeatInventory`. A hold is one call of `boxoffice_hold`
 * (migration 0008) and a release one call of `boxoffice_release` (migration
 * 0004), each a prepared statement: each locks the seat rows it touches, in
 * seat order, and judges liveness by the clock read after its locks
 * (`hold_expires_at > boxoffice_now()`), so an expired hold frees its seats
 * with no sweeper (L4). A hold that reserves funds also locks its user's
 * wallet row first and is judged against what is available (L2). A hold
 * prices itself from the seat rows it locks, each with its own price and
 * class, and fixes them into the hold (L3).
 *
 * @since 0.1.0
 */
import {
  type AlreadyPaid,
  checkReleasable,
  checkSeatLimit,
  ClassSeatCounts,
  DateSeatCounts,
  Forbidden,
  Hold,
  type HoldLimitExceeded,
  type HoldState,
  holdStatus,
  InsufficientBalance,
  NotFound,
  QueueTokenExpired,
  type PricedSeat,
  Seat,
  SeatAvailability,
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
  /** The hold's amount: the sum of its seats' prices, read from the locked seat rows. */
  readonly amount_krw: number | null
  readonly priced_seats: ReadonlyArray<PricedSeat> | null
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
          const found = await rows<{
            seat_number: number
            price_krw: number
            class_name: string | null
            status: "available" | "held" | "sold"
          }>(
            db,
            sql`
            select seat_number, price_krw, class_name,
                   case when sold_user_id is not null then 'sold'
                        when hold_expires_at > (select boxoffice_now()) then 'held'
                        else 'available' end as status
            from seats where date_id = ${date.dateId} order by seat_number`
          )
          return found.map(
            (row) =>
              new Seat({
                seatNumber: row.seat_number,
                priceKrw: row.price_krw,
                status: row.status,
                className: row.class_name
              })
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
      availability: (dates) =>
        database.run(async () => {
          const found = await client<
            Array<{ date_id: string; available: number; min_price_krw: number; max_price_krw: number }>
          >`
            select s.date_id, count(*)::int as available, min(s.price_krw) as min_price_krw,
              max(s.price_krw) as max_price_krw
            from seats s
            where s.date_id = any(${`{${dates.map((date) => date.dateId).join(",")}}`}::uuid[])
              and s.sold_user_id is null and (s.hold_expires_at is null or s.hold_expires_at <= (select boxoffice_now()))
            group by s.date_id`
          const byDate = new Map(found.map((row) => [row.date_id, row]))
          return dates.map((date) => {
            const row = byDate.get(date.dateId)
            return new SeatAvailability({
              available: row?.available ?? 0,
              minPriceKrw: row?.min_price_krw ?? null,
              maxPriceKrw: row?.max_price_krw ?? null
            })
          })
        }),
      seatCounts: (dates) =>
        database.run(async () => {
          const found = await client<
            Array<{
              date_id: string
              class_name: string | null
              sold: number
              held: number
              total: number
              revenue_krw: number
            }>
          >`
            select s.date_id, s.class_name,
              count(*) filter (where s.sold_user_id is not null)::int as sold,
              count(*) filter (where s.sold_user_id is null and s.hold_expires_at > (select boxoffice_now()))::int as held,
              count(*)::int as total,
              -- Each sold seat's own price: seats and their prices never change, so no scan of payments.
              coalesce(sum(s.price_krw) filter (where s.sold_user_id is not null), 0)::float8 as revenue_krw
            from seats s where s.date_id = any(${`{${dates.map((date) => date.dateId).join(",")}}`}::uuid[])
            group by s.date_id, s.class_name`
          const countsOf = (groups: ReadonlyArray<(typeof found)[number]>) => {
            const sum = (pick: (row: (typeof found)[number]) => number) =>
              groups.reduce((total, row) => total + pick(row), 0)
            const [sold, held, total] = [sum((r) => r.sold), sum((r) => r.held), sum((r) => r.total)]
            return { available: total - sold - held, held, sold, revenueKrw: sum((r) => r.revenue_krw) }
          }
          return dates.map((date) => {
            const groups = found.filter((row) => row.date_id === date.dateId)
            return new DateSeatCounts({
              dateId: date.dateId,
              ...countsOf(groups),
              classes: date.classes.map(
                (seatClass) =>
                  new ClassSeatCounts({
                    name: seatClass.name,
                    priceKrw: seatClass.priceKrw,
                    ...countsOf(groups.filter((row) => row.class_name === seatClass.name))
                  })
              )
            })
          })
        }),
      hold: (request) =>
        Effect.flatMap(
          database.write(async () => {
            const [row] = await client<Array<HoldCallRow>>`
              select * from boxoffice_hold(${request.holdId}, ${request.userId}, ${request.date.dateId},
                ${intArrayLiteral(request.seatNumbers)}::int[], ${request.holdSeconds},
                ${request.maxSeatsPerUser}, ${DateTime.toEpochMillis(request.activeUntil)}, ${request.reservesFunds})`
            return row!
          }),
          (row): Effect.Effect<Hold, SeatUnavailable | HoldLimitExceeded | InsufficientBalance | QueueTokenExpired> => {
            switch (row.outcome) {
              case "insufficient":
                return Effect.fail(
                  new InsufficientBalance({ balanceKrw: row.available_krw ?? 0, neededKrw: row.amount_krw ?? 0 })
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
                    amountKrw: row.amount_krw!,
                    seats: row.priced_seats!,
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
