/**
 * Proves migration 0011 (the outbox's typed columns) on a database whose
 * outbox already holds events written by 0010's triggers as JSON: it
 * migrates to 0010, sells through the SQL functions (a charge, two holds, a
 * release, a payment, a refund, a sold-out mark), reads the events as 0010
 * answered them, migrates to the newest, and reads every event again through
 * the adapter: the same ids, numbers, types, times and data. New writes then
 * record their events in the new columns, numbered after the old ones.
 */
import { BookingEventData, type ChargeId, Events, type UserId } from "@boxoffice/core"
import { migrationsFolder, PostgresStores } from "@boxoffice/postgres"
import { drizzle } from "drizzle-orm/postgres-js"
import { migrate } from "drizzle-orm/postgres-js/migrator"
import { Effect, Schema } from "effect"
import type { Sql } from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type DatabaseBeforeMigration, databaseBeforeMigration } from "./support/DatabaseBeforeMigration.ts"

let sql: Sql
/** The migrations folder's copy whose journal stops before the typed columns. */
let before0011: string
let database: DatabaseBeforeMigration

beforeAll(async () => {
  database = await databaseBeforeMigration("_typed_events")
  sql = database.sql
  before0011 = database.migrationsBefore
}, 60_000)

afterAll(() => database?.drop())

const concertId = "11111111-1111-4111-8111-111111111111"
const dateId = "22222222-2222-4222-8222-222222222222"
const userId = "33333333-3333-4333-8333-333333333333" as UserId
const paidHoldId = "44444444-4444-4444-8444-444444444444"
const releasedHoldId = "55555555-5555-4555-8555-555555555555"
const paymentId = "66666666-6666-4666-8666-666666666666"
const policy = {
  queue: { maxActive: 100, activeSeconds: 600, admitPerMinute: null },
  holdSeconds: 300,
  maxSeatsPerUser: 4
}
const encodeData = Schema.encodeSync(Schema.toCodecJson(BookingEventData))

describe("migration 0011 on an outbox that holds JSON events", () => {
  it("answers every old event as 0010 did, and new ones after them", async () => {
    await migrate(drizzle(sql), { migrationsFolder: before0011 })
    await sql`select boxoffice_create_concert(${concertId}, 'Before typed events', ${JSON.stringify(policy)}::jsonb,
      ${JSON.stringify([{ dateId, startsAt: "2031-01-01T00:00:00Z", priceKrw: 12_000, seatCount: 2 }])}::jsonb)`
    const [charged] = await sql`select outcome from boxoffice_charge('77777777-7777-4777-8777-777777777777',
      ${userId}, 50000, 1000000000, null, null)`
    assert.strictEqual(charged!["outcome"], "charged")
    const activeUntil = Date.now() + 600_000
    for (const [holdId, seats] of [
      [paidHoldId, "{1}"],
      [releasedHoldId, "{2}"]
    ] as const) {
      const [held] = await sql`select outcome from boxoffice_hold(${holdId}, ${userId}, ${dateId},
        ${seats}::int[], 300, 4, ${activeUntil}, true)`
      assert.strictEqual(held!["outcome"], "held")
    }
    const [released] = await sql`select outcome from boxoffice_release(${releasedHoldId}, ${userId})`
    assert.strictEqual(released!["outcome"], "judged")
    const [paid] = await sql`select outcome from boxoffice_pay(${paymentId}, ${paidHoldId}, ${userId}, ${concertId},
      '88888888-8888-4888-8888-888888888888', null, null)`
    assert.strictEqual(paid!["outcome"], "paid")
    await sql`select boxoffice_record_sold_out(${concertId})`
    const [refunded] = await sql`select outcome from boxoffice_refund('99999999-9999-4999-8999-999999999999',
      ${paymentId}, ${userId}, 1200, ${Date.now() + 86_400_000}, 'user', null, null, null)`
    assert.strictEqual(refunded!["outcome"], "refunded")
    const before: ReadonlyArray<Record<string, unknown>> = await sql`
      select event_id, seq, type, at_ms, data from boxoffice_events_after(0, 100)`
    assert.deepStrictEqual(
      before.map((e) => e.type),
      [
        "wallet.charged",
        "hold.created",
        "hold.created",
        "hold.released",
        "payment.completed",
        "concert.sold-out",
        "payment.refunded"
      ]
    )

    await migrate(drizzle(sql), { migrationsFolder })
    const read = (after: number) =>
      Effect.runPromise(
        Effect.gen(function* () {
          const events = yield* Events
          return yield* events.read(after, 100)
        }).pipe(Effect.provide(PostgresStores.layerFromClient(sql)))
      )
    const after = await read(0)
    assert.deepStrictEqual(
      after.map(
        (e): Record<string, unknown> => ({
          event_id: e.eventId,
          seq: String(e.sequence),
          type: e.type,
          at_ms: e.at.epochMilliseconds,
          data: encodeData(e.data)
        })
      ),
      before
    )

    // A write after the migration records its event in the new columns, numbered after the old ones.
    const [again] = await sql`select outcome from boxoffice_charge('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
      ${userId}, 1000, 1000000000, null, null)`
    assert.strictEqual(again!["outcome"], "charged")
    const [next] = await read(before.length)
    assert.deepInclude(next, { sequence: before.length + 1, type: "wallet.charged" })
    assert.deepInclude(next!.data, {
      userId,
      chargeId: "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa" as ChargeId,
      amountKrw: 1000
    })

    // Migrating again finds nothing to do.
    await migrate(drizzle(sql), { migrationsFolder })
    assert.strictEqual((await read(0)).length, before.length + 1)
  }, 60_000)
})
