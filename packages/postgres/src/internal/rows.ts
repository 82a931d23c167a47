/** Row shapes of the raw statements, and their conversion to core models. */
import {
  Hold,
  type DateId,
  type HoldId,
  holdStatus,
  type HoldState,
  type PricedSeat,
  type UserId
} from "@boxoffice/core"
import { DateTime } from "effect"

/** An int[] as one text parameter, to be cast with `::int[]`. */
export const intArrayLiteral = (values: ReadonlyArray<number>): string =>
  `{${values.map((v) => Math.trunc(v)).join(",")}}`

/** A timestamptz as epoch milliseconds: raw statements exchange instants as numbers, never as driver Dates. */
export const epochMs = (expression: string) => `floor(extract(epoch from ${expression}) * 1000)::float8`

export interface HoldRow {
  readonly hold_id: string
  readonly user_id: string
  readonly date_id: string
  readonly seat_numbers: Array<number>
  readonly amount_krw: number
  /** `boxoffice_priced_seats` of the row: its seats with the prices and classes the hold fixed. */
  readonly seats: ReadonlyArray<PricedSeat>
  readonly state: HoldState
  readonly created_at_ms: number
  readonly expires_at_ms: number
  /** The store's clock, read once in the same statement. */
  readonly now_ms: number
}

export const holdColumns = [
  "hold_id, user_id, date_id, seat_numbers, amount_krw, state",
  "boxoffice_priced_seats(seat_numbers, seat_prices, seat_classes) as seats",
  `${epochMs("created_at")} as created_at_ms`,
  `${epochMs("expires_at")} as expires_at_ms`,
  `${epochMs("(select boxoffice_now())")} as now_ms`
].join(", ")

export const toHold = (row: HoldRow): Hold =>
  new Hold({
    holdId: row.hold_id as HoldId,
    userId: row.user_id as UserId,
    dateId: row.date_id as DateId,
    seatNumbers: row.seat_numbers,
    amountKrw: row.amount_krw,
    seats: row.seats,
    status: holdStatus(row.state, row.expires_at_ms, row.now_ms),
    createdAt: DateTime.makeUnsafe(row.created_at_ms),
    expiresAt: DateTime.makeUnsafe(row.expires_at_ms)
  })
