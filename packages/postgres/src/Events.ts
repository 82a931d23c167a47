/**
 * Postgres `Events`: the outbox that triggers fill in each write's own
 * transaction (migrations 0010, 0011), numbered when read or claimed by
 * `boxoffice_sequence_events` (committed rows, in insert order), and claimed
 * for delivery with `FOR UPDATE SKIP LOCKED` so that instances share the work
 * without taking the same event.
 *
 * @since 0.6.0
 */
import {
  BookingEvent,
  BookingEventData,
  type DeliveryOutcome,
  Events,
  OutcomeUnknown,
  Unavailable
} from "@boxoffice/core"
import { sql } from "drizzle-orm"
import { DateTime, Effect, Layer, Schema } from "effect"
import { PgDatabase, rows } from "./internal/Database.ts"

interface EventRow {
  readonly event_id: string
  readonly seq: number | string
  readonly type: string
  readonly at_ms: number
  readonly concert_id: string | null
  readonly date_id: string | null
  readonly user_id: string | null
  readonly hold_id: string | null
  readonly payment_id: string | null
  readonly refund_id: string | null
  readonly charge_id: string | null
  readonly seat_numbers: ReadonlyArray<number>
  readonly amount_krw: number | string
  readonly fee_krw: number
  readonly expires_at_ms: number | null
  readonly attempts: number
}

const decodeData = Schema.decodeUnknownSync(BookingEventData)
const decodeType = Schema.decodeUnknownSync(BookingEvent.fields.type)

/** The event a row holds: its columns are BookingEventData's fields (migration 0011). */
const eventOf = (row: EventRow) =>
  new BookingEvent({
    eventId: row.event_id,
    sequence: Number(row.seq),
    type: decodeType(row.type),
    at: DateTime.makeUnsafe(row.at_ms),
    data: decodeData({
      concertId: row.concert_id,
      dateId: row.date_id,
      userId: row.user_id,
      holdId: row.hold_id,
      paymentId: row.payment_id,
      refundId: row.refund_id,
      chargeId: row.charge_id,
      seatNumbers: row.seat_numbers,
      amountKrw: Number(row.amount_krw),
      feeKrw: row.fee_krw,
      expiresAt: row.expires_at_ms === null ? null : DateTime.makeUnsafe(row.expires_at_ms)
    })
  })

/** A write of the outbox's own bookkeeping may be retried: its answer being lost changes nothing the caller keeps. */
const asUnavailable = <A, E>(effect: Effect.Effect<A, E | OutcomeUnknown>) =>
  Effect.catchIf(
    effect,
    (error): error is OutcomeUnknown => error instanceof OutcomeUnknown,
    (error) => Effect.fail(new Unavailable({ store: error.store, cause: error.cause }))
  )

/** @category layers */
export const layer: Layer.Layer<Events, never, PgDatabase> = Layer.effect(
  Events,
  Effect.gen(function* () {
    const database = yield* PgDatabase
    const settle = (eventId: string, outcome: DeliveryOutcome) =>
      outcome._tag === "Delivered"
        ? sql`update events set attempts = attempts + 1, lease_until = null, delivered_at = boxoffice_now()
            where event_id = ${eventId}`
        : outcome._tag === "Parked"
          ? sql`update events set attempts = attempts + 1, lease_until = null, parked_at = boxoffice_now()
            where event_id = ${eventId}`
          : sql`update events set attempts = attempts + 1, lease_until = null,
            due_at = to_timestamp(${outcome.retryAtMs}::float8 / 1000) where event_id = ${eventId}`
    return Events.of({
      read: (afterSequence, limit) =>
        asUnavailable(
          database.write(async (db) =>
            (await rows<EventRow>(db, sql`select * from boxoffice_events_after(${afterSequence}, ${limit})`)).map(
              eventOf
            )
          )
        ),
      recordSoldOut: (concertId) =>
        asUnavailable(
          database.write(async (db) => {
            await rows(db, sql`select boxoffice_record_sold_out(${concertId})`)
          })
        ),
      claimDeliveries: (limit, leaseMs) =>
        asUnavailable(
          database.write(async (db) =>
            (await rows<EventRow>(db, sql`select * from boxoffice_claim_deliveries(${limit}, ${leaseMs})`)).map(
              (row) => ({ event: eventOf(row), attempts: row.attempts })
            )
          )
        ),
      settleDelivery: (eventId, outcome) =>
        asUnavailable(database.write((db) => rows(db, settle(eventId, outcome)).then(() => undefined))),
      deliveryBacklog: database.run(async (db) => {
        const [row] = await rows<{ pending: number; parked: number; oldest: number | string | null }>(
          db,
          sql`select count(*) filter (where parked_at is null)::int as pending,
            count(*) filter (where parked_at is not null)::int as parked,
            min(seq) filter (where parked_at is null) as oldest
          from events where delivered_at is null`
        )
        return {
          pending: row!.pending,
          parked: row!.parked,
          oldestPendingSequence: row!.oldest === null ? null : Number(row!.oldest)
        }
      }),
      purge: (retentionMs, limit, deliveredOnly) =>
        asUnavailable(
          database.write(async (db) => {
            const deleted = await rows<{ deleted: number }>(
              db,
              sql`with old as (
                select event_id from events
                where seq is not null and ${
                  deliveredOnly
                    ? sql`delivered_at < boxoffice_now() - make_interval(secs => ${retentionMs / 1000})`
                    : sql`at < boxoffice_now() - make_interval(secs => ${retentionMs / 1000})`
                }
                order by seq limit ${limit}
                for update skip locked
              )
              delete from events e using old where e.event_id = old.event_id
              returning 1 as deleted`
            )
            return deleted.length
          })
        )
    })
  })
)
