/**
 * Proves migration 0008 (seat classes) on a database that already sells
 * concerts without classes: it migrates to 0007, sells through the 0007
 * functions, then migrates to the newest. Every seat keeps its date's price
 * and no class; every hold its price per seat; a live hold made before is
 * paid after at its old amount, with its seats listed; a keyed payment's
 * receipt recorded before replays with its seats; and migrating again does
 * nothing.
 */
import { IdempotencyClaim, type HoldId, Payments, SeatInventory, type UserId } from "@boxoffice/core"
import { migrationsFolder, PostgresStores } from "@boxoffice/postgres"
import { drizzle } from "drizzle-orm/postgres-js"
import { migrate } from "drizzle-orm/postgres-js/migrator"
import { Effect, Option } from "effect"
import type { Sql } from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type DatabaseBeforeMigration, databaseBeforeMigration } from "./support/DatabaseBeforeMigration.ts"

let sql: Sql
/** The migrations folder's copy whose journal stops before seat classes. */
let before0008: string
let database: DatabaseBeforeMigration

beforeAll(async () => {
  database = await databaseBeforeMigration("_seat_classes")
  sql = database.sql
  before0008 = database.migrationsBefore
}, 60_000)

afterAll(() => database?.drop())

const concertId = "11111111-1111-4111-8111-111111111111"
const dateId = "22222222-2222-4222-8222-222222222222"
const userId = "33333333-3333-4333-8333-333333333333" as UserId
const paidHoldId = "44444444-4444-4444-8444-444444444444" as HoldId
const liveHoldId = "55555555-5555-4555-8555-555555555555" as HoldId
const policy = {
  queue: { maxActive: 100, activeSeconds: 600, admitPerMinute: null },
  holdSeconds: 300,
  maxSeatsPerUser: 4
}

describe("migration 0008 on a database selling concerts without classes", () => {
  it("backfills each seat's and hold's price; old holds pay and old receipts replay with their seats", async () => {
    await migrate(drizzle(sql), { migrationsFolder: before0008 })
    // A sale under 0007: a concert, a paid hold (with a key) and a live one.
    await sql`select boxoffice_create_concert(${concertId}, 'Before classes', ${JSON.stringify(policy)}::jsonb,
      ${JSON.stringify([{ dateId, startsAt: "2031-01-01T00:00:00Z", priceKrw: 12_000, seatCount: 6 }])}::jsonb)`
    await sql`insert into wallets (user_id, balance_krw) values (${userId}, 100000)`
    const activeUntil = Date.now() + 600_000
    for (const [holdId, seats, amount] of [
      [paidHoldId, "{1,2}", 24_000],
      [liveHoldId, "{3}", 12_000]
    ] as const) {
      const [held] = await sql`select outcome from boxoffice_hold(${holdId}, ${userId}, ${dateId},
        ${seats}::int[], ${amount}, 300, 4, ${activeUntil}, false)`
      assert.strictEqual(held!["outcome"], "held")
    }
    const [paid] = await sql`select outcome from boxoffice_pay('66666666-6666-4666-8666-666666666666',
      ${paidHoldId}, ${userId}, ${concertId}, '77777777-7777-4777-8777-777777777777', 'before', ${`payment:${paidHoldId}`})`
    assert.strictEqual(paid!["outcome"], "paid")

    await migrate(drizzle(sql), { migrationsFolder })
    const seats = await sql<Array<{ price_krw: number; class_name: string | null }>>`
      select price_krw, class_name from seats order by seat_number`
    assert.deepStrictEqual(
      seats.map((s) => [s.price_krw, s.class_name]),
      Array.from({ length: 6 }, () => [12_000, null])
    )
    const [date] = await sql`select classes from concert_dates`
    assert.deepStrictEqual(date!["classes"], [])

    await Effect.runPromise(
      Effect.gen(function* () {
        const inventory = yield* SeatInventory
        const stored = Option.getOrThrow(yield* inventory.findHold(paidHoldId))
        assert.deepStrictEqual(stored.seats, [
          { seatNumber: 1, priceKrw: 12_000, className: null },
          { seatNumber: 2, priceKrw: 12_000, className: null }
        ])
        // The receipt recorded under 0007 has no seats; its replay lists them at the amount's share.
        const payments = yield* Payments
        const replayed = yield* payments.pay({
          paymentId: "88888888-8888-4888-8888-888888888888" as never,
          holdId: paidHoldId,
          userId,
          concertId: concertId as never,
          queueTokenId: "99999999-9999-4999-8999-999999999999" as never,
          idempotency: new IdempotencyClaim({ userId, key: "before", fingerprint: `payment:${paidHoldId}` })
        })
        assert.deepStrictEqual(
          [replayed.amountKrw, replayed.seats],
          [
            24_000,
            [
              { seatNumber: 1, priceKrw: 12_000, className: null },
              { seatNumber: 2, priceKrw: 12_000, className: null }
            ]
          ]
        )
        // The hold made under 0007 and still live pays its old amount, its seat listed.
        const receipt = yield* payments.pay({
          paymentId: "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa" as never,
          holdId: liveHoldId,
          userId,
          concertId: concertId as never,
          queueTokenId: "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb" as never,
          idempotency: null
        })
        assert.deepStrictEqual(
          [receipt.amountKrw, receipt.seats, receipt.balanceKrw],
          [12_000, [{ seatNumber: 3, priceKrw: 12_000, className: null }], 64_000]
        )
        const listed = yield* payments.listPayments(userId)
        assert.deepStrictEqual(
          listed.map((p) => p.seats.map((s) => s.priceKrw)),
          [[12_000, 12_000], [12_000]]
        )
      }).pipe(Effect.provide(PostgresStores.layerFromClient(sql)))
    )

    // Migrating again finds nothing to do.
    await migrate(drizzle(sql), { migrationsFolder })
    const [count] = await sql`select count(*)::int as n from seats where price_krw = 12000`
    assert.strictEqual(count!["n"], 6)
  }, 60_000)
})
