/**
 * @boxoffice/postgres: drizzle-orm + postgres.js adapters for the catalog,
 * seats and holds, wallet, payments and idempotency records. A payment is
 * one Postgres transaction.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Redacted } from "effect"
import postgres, { type Sql } from "postgres"
import * as Catalog from "./Catalog.ts"
import * as IdempotencyRecords from "./IdempotencyRecords.ts"
import { PgDatabase } from "./internal/Database.ts"
import * as Payments from "./Payments.ts"
import * as SeatInventory from "./SeatInventory.ts"
import * as Wallet from "./Wallet.ts"

export { Catalog, IdempotencyRecords, Payments, SeatInventory, Wallet }
export * from "./Migrator.ts"
export * from "./Sweeper.ts"
export { PgDatabase }

/** @category models */
export interface PostgresOptions {
  readonly url: Redacted.Redacted<string>
  /** Connections in the pool. Default 20. */
  readonly poolSize?: number
  /** How long to wait for a connection before failing with `unavailable`. Default 2 s. */
  readonly connectTimeoutSeconds?: number
  /** The longest any one call may take before it fails with `unavailable`. Default 10 s. */
  readonly callTimeoutSeconds?: number
}

/** A postgres.js pool with the adapter's settings. @category constructors */
export const makeClient = (options: PostgresOptions): Sql =>
  postgres(Redacted.value(options.url), {
    max: options.poolSize ?? 20,
    connect_timeout: options.connectTimeoutSeconds ?? 2,
    idle_timeout: 30,
    max_lifetime: 60 * 30,
    onnotice: () => {}
  })

const ports = Layer.mergeAll(Catalog.layer, SeatInventory.layer, Wallet.layer, Payments.layer, IdempotencyRecords.layer)

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
      Layer.provideMerge(Layer.effect(
        PgDatabase,
        Effect.acquireRelease(
          Effect.sync(() => PgDatabase.make(makeClient(options), `${options.callTimeoutSeconds ?? 10} seconds`)),
          (database) => Effect.promise(() => database.client.end({ timeout: 5 }))
        )
      ))
    ),
  /** Over a pool the caller owns and closes. */
  layerFromClient: (client: Sql) => ports.pipe(Layer.provideMerge(Layer.succeed(PgDatabase, PgDatabase.make(client))))
}
