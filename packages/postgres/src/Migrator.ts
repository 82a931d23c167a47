/**
 * Applies the checked-in migrations, in boxoffice's own schema, safely when
 * several instances start at once: a session-level advisory lock lets one
 * migrate while the others wait, after which they find nothing pending.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Unavailable } from "@boxoffice/core"
import { drizzle } from "drizzle-orm/postgres-js"
import { migrate } from "drizzle-orm/postgres-js/migrator"
import { Effect, Redacted } from "effect"
import postgres from "postgres"
import { checkedSchema, defaultSchema } from "./internal/SchemaName.ts"
import { addressOf } from "./internal/StoreErrors.ts"

export { MigrationMissing } from "./internal/StoreErrors.ts"

/** The advisory lock key of the migrator: "boxoffice" in ASCII, as a number. @category constants */
export const migrationLockKey = 0x626f786f6666

/** The folder of the SQL migrations shipped with this package. @category constants */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url))

/** The journal table drizzle keeps in the schema, beside boxoffice's tables. */
const journalTable = "__drizzle_migrations"

/** The migrations this package ships, as drizzle's journal names them (`when`, its `created_at`). */
const shippedMigrationTimes = (): ReadonlyArray<number> =>
  (
    JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, "utf8")) as {
      readonly entries: ReadonlyArray<{ readonly when: number }>
    }
  ).entries.map((entry) => entry.when)

/**
 * A database migrated before boxoffice had a schema of its own kept its
 * tables and functions in `public` and its journal in drizzle's default
 * `drizzle.__drizzle_migrations`, beside any host's. If that is what this
 * database holds, and `schema` holds no journal yet, moves them into
 * `schema` in one transaction, every row kept (indexes, constraints,
 * triggers and owned sequences move with their tables), and copies the
 * journal rows of boxoffice's own migrations, so the run that follows
 * applies only the newer ones.
 */
const adoptLegacyLayout = async (client: postgres.Sql, schema: string) => {
  const [state] = await client<Array<{ legacy: boolean; adopted: boolean }>>`
    select to_regclass('public.boxoffice_clock') is not null and to_regclass('public.concerts') is not null as legacy,
      to_regclass(${`${schema}.${journalTable}`}) is not null as adopted`
  if (state === undefined || !state.legacy || state.adopted || schema === "public") return
  await client.begin(async (tx) => {
    const tables = await tx<Array<{ name: string }>>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname = any(${ownTables})`
    for (const { name } of tables) await tx.unsafe(`alter table public."${name}" set schema "${schema}"`)
    const functions = await tx<Array<{ name: string; args: string }>>`
      select p.proname as name, pg_get_function_identity_arguments(p.oid) as args
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public' and p.proname like 'boxoffice\_%'`
    for (const { name, args } of functions) {
      await tx.unsafe(`alter function public."${name}"(${args}) set schema "${schema}"`)
    }
    await tx.unsafe(
      `create table "${schema}"."${journalTable}" (id serial primary key, hash text not null, created_at bigint)`
    )
    const legacyJournal = await tx<Array<{ present: boolean }>>`
      select to_regclass('drizzle.__drizzle_migrations') is not null as present`
    if (legacyJournal[0]?.present) {
      await tx.unsafe(
        `insert into "${schema}"."${journalTable}" (hash, created_at)
         select hash, created_at from drizzle.__drizzle_migrations where created_at = any($1) order by created_at`,
        [shippedMigrationTimes() as Array<number>]
      )
    }
  })
}

/** boxoffice's tables, as the migrations create them (a host's same-named table elsewhere is not ours). */
const ownTables = [
  "concerts",
  "concert_dates",
  "seats",
  "holds",
  "sales",
  "payments",
  "wallets",
  "ledger_entries",
  "idempotency_records",
  "boxoffice_clock",
  "refunds",
  "events",
  "event_sequence",
  "sold_out_concerts"
]

/** @category models */
export interface MigrateOptions {
  /** The schema to migrate: every table, function and the journal live there. Default `boxoffice`. */
  readonly schema?: string
}

/**
 * Runs every pending migration of `@boxoffice/postgres` in its own schema
 * (`boxoffice`, or `options.schema`), creating it if needed, with drizzle's
 * journal kept there too: the host's tables, functions and migrations are
 * never read or touched. A database migrated before the schema existed
 * (tables in `public`) is moved into it first, every row kept. A database
 * that cannot be reached (refused, missing, a wrong password) fails with
 * `Unavailable`, whose message names the address and the cause.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { migrateDatabase } from "@boxoffice/postgres"
 * await Effect.runPromise(migrateDatabase(Redacted.make("postgres://postgres@127.0.0.1/boxoffice")))
 * ```
 * @category migrations
 */
export const migrateDatabase = (
  url: Redacted.Redacted<string>,
  options: MigrateOptions = {}
): Effect.Effect<void, Unavailable> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const schema = checkedSchema(options.schema ?? defaultSchema)
      const client = postgres(Redacted.value(url), {
        max: 1,
        connect_timeout: 5,
        onnotice: () => {},
        connection: { search_path: schema }
      })
      return { client, schema }
    }),
    ({ client, schema }) =>
      Effect.tryPromise({
        try: async () => {
          await client`select pg_advisory_lock(${migrationLockKey})`
          try {
            await client.unsafe(`create schema if not exists "${schema}"`)
            await adoptLegacyLayout(client, schema)
            await migrate(drizzle(client), {
              migrationsFolder,
              migrationsSchema: schema,
              migrationsTable: journalTable
            })
          } finally {
            await client`select pg_advisory_unlock(${migrationLockKey})`
          }
        },
        catch: (cause) => new Unavailable({ store: "postgres", address: addressOf(client), cause })
      }),
    ({ client }) => Effect.promise(() => client.end({ timeout: 5 }))
  )
