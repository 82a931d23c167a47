/**
 * boxoffice keeps to its own schema: in a host's database that already has
 * its own drizzle journal and a `payments` table in `public`, migrating and
 * selling touch neither; a database migrated before the schema existed
 * (tables in `public`) moves into it with every row; another schema name
 * works the same; a name that is not a plain identifier is refused.
 */
import { Booking, newId, QueueTokenSigner, UserId, Wallet } from "@boxoffice/core"
import { MemoryQueue } from "@boxoffice/memory"
import { migrateDatabase, migrationsFolder, PostgresStores } from "@boxoffice/postgres"
import { drizzle } from "drizzle-orm/postgres-js"
import { migrate } from "drizzle-orm/postgres-js/migrator"
import { DateTime, Effect, Layer, Redacted } from "effect"
import postgres, { type Sql } from "postgres"
import { afterAll, assert, describe, it } from "vitest"
import { serverUrl } from "./support/TestDatabase.ts"

const admin = postgres(serverUrl, { max: 1, onnotice: () => {} })
const made: Array<{ name: string; sql: Sql }> = []

/** A fresh, empty database and a client on it with the default search path (`public`). */
const freshDatabase = async () => {
  const name = `boxoffice_schema_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  await admin.unsafe(`create database ${name}`)
  const url = serverUrl.replace(/\/[^/]*$/, `/${name}`)
  const sql = postgres(url, { max: 2, onnotice: () => {} })
  made.push({ name, sql })
  return { url: Redacted.make(url), sql }
}

afterAll(async () => {
  for (const { name, sql } of made) {
    await sql.end({ timeout: 5 })
    await admin.unsafe(`drop database if exists ${name} with (force)`)
  }
  await admin.end({ timeout: 5 })
})

const secret = QueueTokenSigner.layerHmac(Redacted.make("schema-test-secret-of-at-least-32-bytes"))

/** A whole booking through the engine over `stores`: answers the paid amount. */
const sellOne = (stores: Layer.Layer<any, any>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const booking = yield* Booking
      const concert = yield* booking.createConcert({
        title: "Beside the host",
        dates: [{ startsAt: DateTime.makeUnsafe(Date.now() + 30 * 86_400_000), priceKrw: 7_000 }]
      })
      const userId = yield* newId(UserId)
      const ticket = yield* booking.joinQueue(userId, concert.concertId)
      yield* booking.charge(userId, 10_000, null)
      const hold = yield* booking.hold(userId, ticket.queueToken, concert.dates[0]!.dateId, [1])
      return (yield* booking.pay(userId, ticket.queueToken, hold.holdId, null)).amountKrw
    }).pipe(Effect.provide(Booking.layer.pipe(Layer.provideMerge(Layer.mergeAll(stores, MemoryQueue.layer, secret)))))
  )

describe("boxoffice's own schema", () => {
  it("beside a host's drizzle journal and its own payments table: migrates, sells, and touches neither", async () => {
    const { url, sql } = await freshDatabase()
    // The host's own migrations, journaled where drizzle puts them by default, later than any of ours.
    await sql`create table payments (id serial primary key, note text not null)`
    await sql`insert into payments (note) values ('the host''s own payment')`
    await sql`create schema drizzle`
    await sql`create table drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`
    await sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('host-0001', 9999999999999)`

    await Effect.runPromise(migrateDatabase(url))
    assert.strictEqual(await sellOne(PostgresStores.layer({ url })), 7_000)

    assert.deepStrictEqual([...(await sql`select id, note from payments`)], [{ id: 1, note: "the host's own payment" }])
    assert.deepStrictEqual(
      [...(await sql`select hash, created_at::text from drizzle.__drizzle_migrations`)],
      [{ hash: "host-0001", created_at: "9999999999999" }]
    )
    const [ours] = await sql`select count(*)::int as n from boxoffice.payments`
    assert.strictEqual(ours!["n"], 1)
    const [functions] = await sql`select count(*)::int as n from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.proname like 'boxoffice\\_%'`
    assert.strictEqual(functions!["n"], 0, "no function of ours in public")
    // Migrating again finds nothing to do.
    const [journal] = await sql`select count(*)::int as n from boxoffice.__drizzle_migrations`
    await Effect.runPromise(migrateDatabase(url))
    const [again] = await sql`select count(*)::int as n from boxoffice.__drizzle_migrations`
    assert.strictEqual(again!["n"], journal!["n"])
  })

  it("a database migrated before the schema existed moves into it, every row kept", async () => {
    const { url, sql } = await freshDatabase()
    // The earlier layout: drizzle's default journal, every table and function in public.
    await migrate(drizzle(sql), { migrationsFolder })
    const userId = "33333333-3333-4333-8333-333333333333"
    await Effect.runPromise(
      Wallet.use((wallet) =>
        wallet.charge({
          chargeId: "44444444-4444-4444-8444-444444444444" as never,
          userId: userId as never,
          amountKrw: 12_345,
          idempotency: null
        })
      ).pipe(Effect.provide(PostgresStores.layerFromClient(sql)))
    )
    const [before] = await sql`select count(*)::int as n from ledger_entries`

    await Effect.runPromise(migrateDatabase(url))
    const [moved] = await sql`select to_regclass('public.wallets') is null as gone,
      (select balance_krw from boxoffice.wallets where user_id = ${userId})::int as balance,
      (select count(*)::int from boxoffice.ledger_entries) as entries`
    assert.deepStrictEqual(moved, { gone: true, balance: 12_345, entries: before!["n"] })
    // The stores read it where it now lives, and keep writing: the sequence moved with its table.
    const balance = await Effect.runPromise(
      Effect.gen(function* () {
        const wallet = yield* Wallet
        yield* wallet.charge({
          chargeId: "55555555-5555-4555-8555-555555555555" as never,
          userId: userId as never,
          amountKrw: 1,
          idempotency: null
        })
        return yield* wallet.balance(userId as never)
      }).pipe(Effect.provide(PostgresStores.layer({ url })))
    )
    assert.strictEqual(balance, 12_346)
    assert.strictEqual(await sellOne(PostgresStores.layer({ url })), 7_000)
  })

  it("another schema name works alike; a name that is not a plain identifier is refused", async () => {
    const { url, sql } = await freshDatabase()
    await Effect.runPromise(migrateDatabase(url, { schema: "tickets" }))
    assert.strictEqual(await sellOne(PostgresStores.layer({ url, schema: "tickets" })), 7_000)
    const [sold] = await sql`select count(*)::int as n from tickets.sales`
    assert.strictEqual(sold!["n"], 1)
    assert.throws(() =>
      PostgresStores.layer({ url, schema: 'x"; drop table y; --' }).pipe(Layer.build, Effect.scoped, Effect.runSync)
    )
    const refused = await Effect.runPromiseExit(migrateDatabase(url, { schema: "Tickets" }))
    assert.strictEqual(refused._tag, "Failure")
  })
})
