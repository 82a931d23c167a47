/**
 * The one connection pool of the adapter, and the two ways to use it: a
 * read, or a write. Each is one statement: a write is one call of a
 * server-side function, its own transaction. Driver errors are sorted into
 * `Unavailable` (the work did not happen and may be retried; a database
 * without the adapter's schema is one, caused by `MigrationMissing`),
 * `OutcomeUnknown` (a write that may have committed) and defects (a bug).
 * Both name the database's address.
 */
import { OutcomeUnknown, Unavailable } from "@boxoffice/core"
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js"
import { Context, Duration, Effect } from "effect"
import type { Sql } from "postgres"
import * as schema from "./schema.ts"
import { checkedSchema, defaultSchema } from "./SchemaName.ts"
import { addressOf, migrationMissingOf } from "./StoreErrors.ts"

/** @internal */
export type Database = PostgresJsDatabase<typeof schema>

/**
 * Errors that prove the statement did not run, or ran and rolled back: the
 * connection was never made, or the server aborted the statement.
 */
const rolledBackCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
  "3D000", // invalid_catalog_name: the database does not exist, so no connection was made
  "28000", // invalid_authorization_specification: refused by pg_hba.conf
  "28P01", // invalid_password
  "57P01", // admin_shutdown: the backend was terminated, its transaction rolled back
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "57014", // query_canceled: statement_timeout
  "55P03", // lock_not_available: lock_timeout
  "40P01", // deadlock_detected: rolled back, safe to retry
  "40001" // serialization_failure
])

/** Errors of a connection that broke while a statement may have been on it. */
const connectionLostCodes = new Set([
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED"
])

type Failure = "rolled-back" | "connection-lost" | "not-migrated"

/**
 * What an error proves, and the error in its chain that proves it: the
 * driver's own error, with its code, rather than drizzle's wrapper around
 * it (`Failed query: …`), so that what is reported names the reason.
 */
const failureOf = (error: unknown): { readonly failure: Failure; readonly cause: unknown } | undefined => {
  for (let e: unknown = error; typeof e === "object" && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code
    if (typeof code !== "string") continue
    if (migrationMissingOf(e) !== undefined) return { failure: "not-migrated", cause: e }
    if (rolledBackCodes.has(code)) return { failure: "rolled-back", cause: e }
    if (connectionLostCodes.has(code) || code.startsWith("08")) {
      // A failed write syscall sent none of its bytes: the statement never reached the server.
      return { failure: (e as { syscall?: unknown }).syscall === "write" ? "rolled-back" : "connection-lost", cause: e }
    }
  }
  return undefined
}

interface Failed {
  readonly _tag: "Failed"
  readonly failure: Failure
  readonly cause: unknown
}

/** A call that outlived its bound: it may still be running, or have committed. */
class CallTimedOut {
  readonly message = "the call did not settle in time"
}

/**
 * `promise`, or a `CallTimedOut` rejection after `ms` of wall-clock time. A
 * real timer, not Effect's `Clock`: a test that moves the store's clock does
 * not move a call's bound.
 */
const withDeadline = <A>(promise: Promise<A>, ms: number): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new CallTimedOut()), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

const classify = (cause: unknown): Failed => {
  if (cause instanceof CallTimedOut) return { _tag: "Failed", failure: "connection-lost", cause }
  const failed = failureOf(cause)
  if (failed !== undefined) return { _tag: "Failed", ...failed }
  throw cause
}

/** Server-side bounds that abort a slow statement before the client gives up on it. */
export interface ServerTimeouts {
  readonly statementTimeoutMs: number
  readonly lockTimeoutMs: number
}

/**
 * The pool the stores share. Only `client` is public: the rest is how the
 * stores use it, and names drizzle's types, which a host's compiler should
 * never have to read (the published declarations leave it out).
 */
export interface PgDatabaseService {
  /** The postgres.js pool. */
  readonly client: Sql
  /** @internal */
  readonly db: Database
  /**
   * A read: any failure means nothing changed.
   *
   * @internal
   */
  readonly run: <A>(f: (db: Database) => Promise<A>) => Effect.Effect<A, Unavailable>
  /**
   * One statement that changes state. A connection lost while it was in
   * flight, or a call that outlived its bound, may have committed: that is
   * `OutcomeUnknown`, never `Unavailable`.
   *
   * @internal
   */
  readonly write: <A>(f: (db: Database) => Promise<A>) => Effect.Effect<A, Unavailable | OutcomeUnknown>
}

export class PgDatabase extends Context.Service<PgDatabase, PgDatabaseService>()("@boxoffice/postgres/PgDatabase") {
  /**
   * The startup parameters that bound every statement on the server: the
   * database aborts a statement (and rolls it back) after
   * `statementTimeoutMs`, or when it waits on a lock for `lockTimeoutMs`,
   * so a slow call ends as `unavailable` with nothing done.
   */
  static readonly connectionParameters = (
    timeouts: ServerTimeouts,
    schema: string = defaultSchema
  ): Record<string, string> => ({
    statement_timeout: `${timeouts.statementTimeoutMs}`,
    lock_timeout: `${timeouts.lockTimeoutMs}`,
    // Every table and function lives in the one schema (decision 84): unqualified names resolve there.
    search_path: checkedSchema(schema)
  })

  /**
   * `callTimeout` bounds every call on the client: postgres.js can leave a
   * query written to a connection that was reset a moment before unsettled
   * forever, and a store call must never hang. It must exceed the server's
   * `statement_timeout`, so that the server, not the client, ends a slow
   * statement; a read that outlives it is `unavailable`, a write
   * `outcome-unknown`.
   *
   * @internal
   */
  static readonly make = (client: Sql, callTimeout: Duration.Input = "10 seconds"): PgDatabase["Service"] => {
    const db = drizzle(client, { schema })
    const callTimeoutMs = Duration.toMillis(Duration.fromInputUnsafe(callTimeout))
    const address = addressOf(client)
    const unavailable = (cause: unknown) => new Unavailable({ store: "postgres", address, cause })
    const unknown = (cause: unknown) => new OutcomeUnknown({ store: "postgres", address, cause })
    /** `ifInFlight` names what a lost connection or an overrun means for this kind of call. */
    const attempt = <A, L>(ifInFlight: (cause: unknown) => L, f: () => Promise<A>): Effect.Effect<A, Unavailable | L> =>
      Effect.tryPromise({ try: () => withDeadline(f(), callTimeoutMs), catch: classify }).pipe(
        Effect.mapError((failed) =>
          failed.failure === "connection-lost"
            ? ifInFlight(failed.cause)
            : unavailable(failed.failure === "not-migrated" ? migrationMissingOf(failed.cause) : failed.cause)
        )
      )
    return {
      client,
      db,
      run: (f) => attempt(unavailable, () => f(db)),
      write: (f) => attempt(unknown, () => f(db))
    }
  }
}

/**
 * Rows of a raw statement, typed by the caller.
 *
 * @internal
 */
export const rows = async <Row>(db: Database, query: Parameters<Database["execute"]>[0]): Promise<Array<Row>> =>
  (await db.execute(query)) as unknown as Array<Row>
