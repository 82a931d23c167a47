/**
 * A throwaway database per test file: created with a random name, migrated,
 * and dropped afterwards, so runs never see each other's data.
 */
import { defaultSchema, migrateDatabase, PgDatabase, PostgresStores, serverTimeouts } from "@boxoffice/postgres"
import { MemoryQueue } from "@boxoffice/memory"
import { type AdapterUnderTest, type HeldLock, StoreClock, StoreStall, suiteEpochMs } from "@boxoffice/testing"
import { Effect, Layer, Redacted } from "effect"
import postgres, { type Sql } from "postgres"

/** Where the machine's PostgreSQL listens (trust auth). Override with BOXOFFICE_TEST_POSTGRES. */
export const serverUrl = process.env["BOXOFFICE_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/postgres"

export interface TestDatabase {
  readonly name: string
  readonly url: Redacted.Redacted<string>
  /** A pool of `poolSize` connections to the test database. */
  readonly pool: (poolSize?: number) => Sql
  readonly drop: () => Promise<void>
}

export const createTestDatabase = async (): Promise<TestDatabase> => {
  const name = `boxoffice_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = Redacted.make(serverUrl.replace(/\/[^/]*$/, `/${name}`))
  await Effect.runPromise(migrateDatabase(url))
  // The suites' seam: the store's clock reads boxoffice_clock, so a test can freeze and move it.
  const migrated = postgres(Redacted.value(url), {
    max: 1,
    onnotice: () => {},
    connection: { search_path: defaultSchema }
  })
  await migrated.unsafe(`
    create or replace function boxoffice_now() returns timestamptz language sql volatile
    as $$ select coalesce((select frozen_at from boxoffice_clock where id = 1), clock_timestamp()) $$`)
  await migrated.end()
  const pools: Array<Sql> = []
  return {
    name,
    url,
    pool: (poolSize = 20) => {
      const pool = postgres(Redacted.value(url), {
        max: poolSize,
        connect_timeout: 2,
        onnotice: () => {},
        connection: PgDatabase.connectionParameters(serverTimeouts({}))
      })
      pools.push(pool)
      return pool
    },
    drop: async () => {
      await Promise.all(pools.map((pool) => pool.end({ timeout: 5 })))
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end({ timeout: 5 })
    }
  }
}

const tables = "concerts, concert_dates, seats, holds, sales, payments, wallets, ledger_entries, idempotency_records"

/**
 * Real row locks, taken in another session: the payment, release or charge
 * that waits on one has begun its transaction inside the database, so the
 * clock moves while it is in the middle of its store call.
 */
const rowLockStall = (observer: Sql, url: Redacted.Redacted<string>): StoreStall["Service"] => {
  const lockRow = (lock: (tx: postgres.TransactionSql) => Promise<unknown>) =>
    Effect.promise(async (): Promise<HeldLock> => {
      const blocker = postgres(Redacted.value(url), {
        max: 1,
        onnotice: () => {},
        connection: { search_path: defaultSchema }
      })
      let release!: () => void
      let locked!: (pid: number) => void
      const blockerPid = new Promise<number>((resolve) => (locked = resolve))
      const blocking = blocker.begin(async (tx) => {
        await lock(tx)
        const [row] = await tx<Array<{ pid: number }>>`select pg_backend_pid() as pid`
        locked(row!.pid)
        await new Promise<void>((resolve) => (release = resolve))
      })
      const pid = await blockerPid
      return {
        // Polled on a real timer (the suites' clock is manual), and interruptible between polls.
        waitedOn: Effect.gen(function* () {
          for (;;) {
            const [row] = yield* Effect.promise(
              () =>
                observer<Array<{ waiting: number }>>`
                select count(*)::int as waiting from pg_stat_activity where ${pid}::int = any(pg_blocking_pids(pid))`
            )
            if (row!.waiting > 0) return
            yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
          }
        }),
        release: Effect.promise(async () => {
          release()
          await blocking
          await blocker.end({ timeout: 5 })
        })
      }
    })
  return StoreStall.of({
    lockHold: (holdId) => lockRow((tx) => tx`select 1 from holds where hold_id = ${holdId} for update`),
    lockWallet: (userId) => lockRow((tx) => tx`select 1 from wallets where user_id = ${userId} for update`),
    lockSeat: (dateId, seatNumber) =>
      lockRow((tx) => tx`select 1 from seats where date_id = ${dateId} and seat_number = ${seatNumber} for update`)
  })
}

/**
 * The Postgres stores (with the queue in memory, as a single instance runs
 * without Redis) under the suites: each build empties the tables and
 * freezes `boxoffice_now()` to the suites' manual clock.
 */
export const postgresAdapter = (pool: Sql, url: Redacted.Redacted<string>): AdapterUnderTest => ({
  name: "postgres",
  layer: Layer.unwrap(
    Effect.promise(async () => {
      await pool.unsafe(`truncate ${tables} cascade`)
      return Layer.mergeAll(
        PostgresStores.layerFromClient(pool),
        Layer.succeed(StoreStall, rowLockStall(pool, url)),
        MemoryQueue.layer,
        StoreClock.layerManual(suiteEpochMs, (nowMs) =>
          Effect.promise(
            () =>
              pool`update boxoffice_clock set frozen_at = ${new Date(nowMs).toISOString()}::timestamptz where id = 1`
          )
        )
      )
    })
  )
})
