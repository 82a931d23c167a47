/**
 * Applies the checked-in migrations, safely when several instances start
 * at once: a session-level advisory lock lets one migrate while the others
 * wait, after which they find nothing pending.
 *
 * @since 0.1.0
 */
import { fileURLToPath } from "node:url"
import { Unavailable } from "@boxoffice/core"
import { drizzle } from "drizzle-orm/postgres-js"
import { migrate } from "drizzle-orm/postgres-js/migrator"
import { Effect, Redacted } from "effect"
import postgres from "postgres"
import { addressOf } from "./internal/StoreErrors.ts"

export { MigrationMissing } from "./internal/StoreErrors.ts"

/** The advisory lock key of the migrator: "boxoffice" in ASCII, as a number. @category constants */
export const migrationLockKey = 0x626f786f6666

/** The folder of the SQL migrations shipped with this package. @category constants */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url))

/**
 * Runs every pending migration of `@boxoffice/postgres`. A database that
 * cannot be reached (refused, missing, a wrong password) fails with
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
export const migrateDatabase = (url: Redacted.Redacted<string>): Effect.Effect<void, Unavailable> =>
  Effect.acquireUseRelease(
    Effect.sync(() => postgres(Redacted.value(url), { max: 1, connect_timeout: 5, onnotice: () => {} })),
    (client) =>
      Effect.tryPromise({
        try: async () => {
          await client`select pg_advisory_lock(${migrationLockKey})`
          try {
            await migrate(drizzle(client), { migrationsFolder })
          } finally {
            await client`select pg_advisory_unlock(${migrationLockKey})`
          }
        },
        catch: (cause) => new Unavailable({ store: "postgres", address: addressOf(client), cause })
      }),
    (client) => Effect.promise(() => client.end({ timeout: 5 }))
  )
