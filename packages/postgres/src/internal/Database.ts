/**
 * The one connection pool of the adapter, and the two ways to use it: a
 * single statement, or a short transaction. Driver errors are sorted into
 * `Unavailable` (the store could not be reached or the session died: the
 * work did not happen and may be retried) and defects (a bug).
 */
import { Unavailable } from "@boxoffice/core"
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js"
import { Context, type Duration, Effect, Result } from "effect"
import type { Sql } from "postgres"
import * as schema from "./schema.ts"

export type Database = PostgresJsDatabase<typeof schema>
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0]
export type Executor = Database | Transaction

/** SQLSTATE classes and driver codes that mean "the store is not there right now". */
const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown: the backend was terminated
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "40P01" // deadlock_detected: rolled back, safe to retry
])

const codeOf = (error: unknown): string | undefined => {
  for (let e: unknown = error; typeof e === "object" && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code
    if (typeof code === "string" && (unavailableCodes.has(code) || code.startsWith("08"))) return code
  }
  return undefined
}

class Rollback<E> {
  readonly error: E
  constructor(error: E) {
    this.error = error
  }
}

type Outcome<E> =
  | { readonly _tag: "Rollback"; readonly error: E }
  | { readonly _tag: "Unavailable"; readonly cause: unknown }

const classify = <E>(cause: unknown): Outcome<E> => {
  if (cause instanceof Rollback) return { _tag: "Rollback", error: cause.error as E }
  if (codeOf(cause) !== undefined) return { _tag: "Unavailable", cause }
  throw cause
}

export class PgDatabase extends Context.Service<PgDatabase, {
  readonly client: Sql
  readonly db: Database
  /** One statement (or several that need no atomicity). */
  readonly run: <A>(f: (db: Database) => Promise<A>) => Effect.Effect<A, Unavailable>
  /**
   * A transaction whose body answers with a Result: a failure rolls back
   * and becomes the Effect's typed error.
   */
  readonly transact: <R extends Result.Result<unknown, unknown>>(
    f: (tx: Transaction) => Promise<R>
  ) => Effect.Effect<Result.Result.Success<R>, Result.Result.Failure<R> | Unavailable>
}>()("@boxoffice/postgres/PgDatabase") {
  /**
   * `callTimeout` bounds every call: postgres.js can leave a query written to
   * a connection that was reset a moment before unsettled forever, and a
   * store call must fail with `unavailable`, never hang.
   */
  static readonly make = (client: Sql, callTimeout: Duration.Input = "10 seconds"): PgDatabase["Service"] => {
    const db = drizzle(client, { schema })
    const attempt = <A, E>(f: () => Promise<A>): Effect.Effect<A, E | Unavailable> =>
      Effect.flatMap(
        Effect.tryPromise({ try: f, catch: classify<E> }).pipe(
          Effect.map((value) => ({ _tag: "Done" as const, value })),
          Effect.catch((outcome) => Effect.succeed(outcome as Outcome<E>))
        ),
        (outcome): Effect.Effect<A, E | Unavailable> => {
          switch (outcome._tag) {
            case "Done":
              return Effect.succeed(outcome.value)
            case "Rollback":
              return Effect.fail(outcome.error)
            case "Unavailable":
              return Effect.fail(new Unavailable({ store: "postgres", cause: outcome.cause }))
          }
        }
      ).pipe(
        Effect.timeoutOrElse({
          duration: callTimeout,
          orElse: () => Effect.fail(new Unavailable({ store: "postgres", cause: "the call did not settle in time" }))
        })
      )
    return {
      client,
      db,
      run: (f) => attempt(() => f(db)),
      transact: <R extends Result.Result<unknown, unknown>>(f: (tx: Transaction) => Promise<R>) =>
        attempt<Result.Result.Success<R>, Result.Result.Failure<R>>(() =>
          db.transaction(async (tx) => {
            const result = await f(tx)
            if (Result.isFailure(result)) throw new Rollback(result.failure)
            return result.success as Result.Result.Success<R>
          })
        )
    }
  }
}

/** Rows of a raw statement, typed by the caller. */
export const rows = async <Row>(executor: Executor, query: Parameters<Executor["execute"]>[0]): Promise<Array<Row>> =>
  (await executor.execute(query)) as unknown as Array<Row>
