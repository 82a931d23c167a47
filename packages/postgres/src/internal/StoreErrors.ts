/**
 * What the adapter's errors say beyond their tag: where the database is
 * (never a credential) and, when the schema is missing, what to do.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import type { Sql } from "postgres"

/**
 * `host:port/database` of a pool (several hosts comma-separated), read from
 * the driver's parsed options: no user, no password.
 *
 * @internal
 */
export const addressOf = (client: Sql): string => {
  const { host, port, database } = client.options
  const hosts = host.map((name, i) => `${name}:${port[i] ?? port[0]}`)
  return `${hosts.join(",")}/${database}`
}

/**
 * The database lacks what this version of the adapter calls: no
 * `boxoffice_*` function or table at all, or an older set. Run
 * `migrateDatabase`; the example server does it at start. Stores report it
 * as the cause of an `Unavailable`: nothing happened, and the same call
 * works once the database is migrated.
 *
 * @category errors
 */
export class MigrationMissing extends Schema.TaggedError<MigrationMissing>()("MigrationMissing", {
  /** The server's SQLSTATE: `42883` (no such function), `42P01` (no such table) or `3F000` (no such schema). */
  sqlState: Schema.String,
  /** The server's message, such as `function boxoffice_create_concert(uuid, text, jsonb, jsonb) does not exist`. */
  detail: Schema.String,
  cause: Schema.Defect()
}) {
  override get message(): string {
    return `the database is not migrated for @boxoffice/postgres (${this.detail}; SQLSTATE ${this.sqlState}): run migrateDatabase(url) before using the stores`
  }
}

/** SQLSTATEs of a statement that names what the migrations make and the database lacks. */
const notMigratedCodes = new Set(["42883", "42P01", "3F000"])

/**
 * The error as a `MigrationMissing` when the server said the adapter's
 * function, table or schema does not exist; otherwise `undefined`.
 *
 * @internal
 */
export const migrationMissingOf = (error: unknown): MigrationMissing | undefined => {
  const { code, message } = (typeof error === "object" && error !== null ? error : {}) as {
    readonly code?: unknown
    readonly message?: unknown
  }
  return typeof code === "string" && notMigratedCodes.has(code)
    ? new MigrationMissing({ sqlState: code, detail: String(message), cause: error })
    : undefined
}
