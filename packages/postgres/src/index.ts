/**
 * @boxoffice/postgres: drizzle-orm + postgres.js adapters for the catalog,
 * seats and holds, wallet, payments and idempotency records. Every write is
 * one call of a server-side function: one round trip, one transaction.
 *
 * @since 0.1.0
 * @packageDocumentation
 * @module @boxoffice/postgres
 */
import { Effect, Layer, Redacted } from "effect"
import postgres, { type Sql } from "postgres"
import * as Catalog from "./Catalog.ts"
import * as Events from "./Events.ts"
import * as IdempotencyRecords from "./IdempotencyRecords.ts"
import { PgDatabase } from "./internal/Database.ts"
import * as Payments from "./Payments.ts"
import * as SeatInventory from "./SeatInventory.ts"
import * as Wallet from "./Wallet.ts"

export { Catalog, Events, IdempotencyRecords, Payments, SeatInventory, Wallet }
export * from "./Migrator.ts"
export * from "./Sweeper.ts"
export { PgDatabase }
export { defaultSchema } from "./internal/SchemaName.ts"

/** @category models */
export interface PostgresOptions {
  readonly url: Redacted.Redacted<string>
  /** Connections in the pool. Default 20. */
  readonly poolSize?: number
  /** How long to wait for a connection before failing with `unavailable`. Default 2 s. */
  readonly connectTimeoutSeconds?: number
  /**
   * The longest any one call may take on the client. A read that outlives it
   * fails with `unavailable`, a write with `outcome-unknown`. Default 10 s;
   * must exceed `statementTimeoutMs`.
   */
  readonly callTimeoutSeconds?: number
  /** The server aborts (and rolls back) a statement that runs longer. Default 5,000 ms. */
  readonly statementTimeoutMs?: number
  /** The server aborts a statement that waits longer for a lock. Default 2,000 ms. */
  readonly lockTimeoutMs?: number
  /**
   * The schema that holds every table and function (migrate it with the same
   * name). Default `boxoffice`, so the host's own tables in `public` are never
   * touched.
   */
  readonly schema?: string
}

/** The server-side bounds of a client made with these options. @category constructors */
export const serverTimeouts = (options: Pick<PostgresOptions, "statementTimeoutMs" | "lockTimeoutMs">) => ({
  statementTimeoutMs: options.statementTimeoutMs ?? 5_000,
  lockTimeoutMs: options.lockTimeoutMs ?? 2_000
})

/**
 * A postgres.js pool with the adapter's settings, including the server-side
 * `statement_timeout` and `lock_timeout` of every connection.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { makeClient } from "@boxoffice/postgres"
 * const client = makeClient({ url: Redacted.make("postgres://postgres@127.0.0.1/boxoffice"), poolSize: 20 })
 * ```
 * @category constructors
 */
export const makeClient = (options: PostgresOptions): Sql => {
  const timeouts = serverTimeouts(options)
  if (timeouts.statementTimeoutMs >= (options.callTimeoutSeconds ?? 10) * 1000) {
    throw new Error("statementTimeoutMs must be below callTimeoutSeconds, so that the server ends a slow statement")
  }
  return postgres(Redacted.value(options.url), {
    max: options.poolSize ?? 20,
    connect_timeout: options.connectTimeoutSeconds ?? 2,
    idle_timeout: 30,
    max_lifetime: 60 * 30,
    onnotice: () => {},
    connection: PgDatabase.connectionParameters(timeouts, options.schema)
  })
}

const ports = Layer.mergeAll(
  Catalog.layer,
  SeatInventory.layer,
  Wallet.layer,
  Payments.layer,
  IdempotencyRecords.layer,
  Events.layer
)

/**
 * The Postgres store ports: `Catalog`, `SeatInventory`, `Wallet`,
 * `Payments` and `IdempotencyRecords`, over one pool that the layer opens
 * and closes. Run {@link migrateDatabase} first.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { PostgresStores } from "@boxoffice/postgres"
 * const stores = PostgresStores.layer({ url: Redacted.make("postgres://postgres@127.0.0.1/boxoffice") })
 * ```
 * @category layers
 */
export const PostgresStores = {
  layer: (options: PostgresOptions) =>
    ports.pipe(
      Layer.provideMerge(
        Layer.effect(
          PgDatabase,
          Effect.acquireRelease(
            Effect.sync(() => PgDatabase.make(makeClient(options), `${options.callTimeoutSeconds ?? 10} seconds`)),
            (database) => Effect.promise(() => database.client.end({ timeout: 5 }))
          )
        )
      )
    ),
  /**
   * Over a pool the caller owns and closes. Make it with {@link makeClient},
   * or give it the same `connection` parameters
   * (`PgDatabase.connectionParameters`), so the server bounds every call.
   */
  layerFromClient: (client: Sql) => ports.pipe(Layer.provideMerge(Layer.succeed(PgDatabase, PgDatabase.make(client))))
}
