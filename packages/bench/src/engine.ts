/**
 * `pnpm --filter @boxoffice/bench engine [--bookings N] [--fibers N] [--pool N]`:
 * the engine without HTTP. Many fibers each run whole bookings (join, hold,
 * charge, pay) through `Booking` directly, on memory, on Postgres with the
 * queue in memory (Postgres's share alone), and on Postgres + Redis
 * (throwaway database and key prefix), and report paid bookings/s, the CPU
 * time the local Postgres processes spent per booking (where /proc shows
 * them) and per-step p50/p99. Every booking's outcome is checked.
 *
 * `--outbox-rounds N`: instead, what the outbox costs Postgres: N rounds on
 * Postgres (queue in memory), each once with the event triggers off and once
 * on, alternating in one run so that the machine's drift falls on both.
 */
import { Booking, newId, QueueTokenSigner, UserId } from "@boxoffice/core"
import { MemoryQueue, MemoryStores } from "@boxoffice/memory"
import { defaultSchema, migrateDatabase, PostgresStores } from "@boxoffice/postgres"
import { RedisQueue } from "@boxoffice/redis"
import { DateTime, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { Redis } from "ioredis"
import postgres from "postgres"
import { histogram, summarize } from "./LoadGenerator.ts"
import { postgresCpuMs } from "./PostgresCpu.ts"

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name)
  return index < 0 ? fallback : Number(process.argv[index + 1])
}
const bookings = argument("--bookings", 5_000)
const fibers = argument("--fibers", 64)
const poolSize = argument("--pool", 20)
/** One JSON line per profile instead of a table: how `pnpm bench` reads it. */
const json = process.argv.includes("--json")
const outboxRounds = argument("--outbox-rounds", 0)
const postgresUrl = process.env["BOXOFFICE_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
const redisUrl = process.env["BOXOFFICE_TEST_REDIS"] ?? "redis://127.0.0.1:6379"
const secret = QueueTokenSigner.layerHmac(Redacted.make("engine-bench-secret-of-at-least-32-bytes"))

const run = async (name: string, stores: Layer.Layer<any, any>) => {
  const runtime = ManagedRuntime.make(Booking.layer.pipe(Layer.provideMerge(Layer.merge(stores, secret))))
  const steps = { join: histogram(), hold: histogram(), charge: histogram(), pay: histogram() }
  const timed = <A, E>(step: keyof typeof steps, effect: Effect.Effect<A, E>) =>
    Effect.gen(function* () {
      const started = process.hrtime.bigint()
      const value = yield* effect
      steps[step].recordValue(Math.max(1, Number(process.hrtime.bigint() - started) / 1000))
      return value
    })
  const postgresCpuBefore = postgresCpuMs()
  try {
    const result = await runtime.runPromise(
      Effect.gen(function* () {
        const booking = yield* Booking
        const concert = yield* booking.createConcert({
          title: "Engine bench",
          dates: Array.from({ length: Math.ceil(bookings / 50) }, (_, d) => ({
            startsAt: DateTime.makeUnsafe(Date.now() + (30 + d) * 86_400_000),
            priceKrw: 10_000
          })),
          queue: { maxActive: bookings + 10 }
        })
        let next = 0
        let paid = 0
        const started = performance.now()
        yield* Effect.forEach(
          Array.from({ length: fibers }),
          () =>
            Effect.gen(function* () {
              while (next < bookings) {
                const i = next++
                const userId = yield* newId(UserId)
                const ticket = yield* timed("join", booking.joinQueue(userId, concert.concertId))
                const hold = yield* timed(
                  "hold",
                  booking.hold(userId, ticket.queueToken, concert.dates[Math.floor(i / 50)]!.dateId, [(i % 50) + 1])
                )
                yield* timed("charge", booking.charge(userId, 10_000, `c-${i}`))
                const receipt = yield* timed("pay", booking.pay(userId, ticket.queueToken, hold.holdId, `p-${i}`))
                if (receipt.balanceKrw !== 0)
                  return yield* Effect.die(new Error(`booking ${i} left ${receipt.balanceKrw}`))
                paid++
              }
            }),
          { concurrency: "unbounded", discard: true }
        )
        return { paid, seconds: (performance.now() - started) / 1000 }
      })
    )
    if (result.paid !== bookings) throw new Error(`${result.paid} of ${bookings} paid`)
    const stepsMs = Object.fromEntries(
      Object.entries(steps).map(([step, h]) => {
        const s = summarize(h)
        return [step, { p50: s.p50, p99: s.p99 }]
      })
    )
    const paidBookingsPerSecond = result.paid / result.seconds
    // Before the pool closes: a backend's time leaves the sum when it exits.
    const postgresCpuAfter = postgresCpuMs()
    const postgresCpuMsPerBooking =
      postgresCpuBefore === undefined || postgresCpuAfter === undefined || name === "memory"
        ? null
        : (postgresCpuAfter - postgresCpuBefore) / bookings
    if (json) {
      console.log(
        JSON.stringify({ profile: name, bookings, fibers, paidBookingsPerSecond, postgresCpuMsPerBooking, stepsMs })
      )
    } else {
      const perStep = Object.entries(stepsMs)
        .map(([step, s]) => `${step} ${s.p50.toFixed(1)} / ${s.p99.toFixed(1)}`)
        .join("; ")
      const postgresCpu = postgresCpuMsPerBooking === null ? "–" : postgresCpuMsPerBooking.toFixed(2)
      console.log(
        `| ${name} | ${bookings} | ${fibers} | ${paidBookingsPerSecond.toFixed(0)} | ${postgresCpu} | ${perStep} |`
      )
    }
  } finally {
    await runtime.dispose()
  }
}

if (!json)
  console.log(
    `| profile | bookings | fibers | paid bookings/s | postgres CPU ms/booking | per step p50 / p99 ms |\n|---|---|---|---|---|---|`
  )
if (outboxRounds === 0) await run("memory", Layer.merge(MemoryStores.layerWithoutQueue, MemoryQueue.layer))

const name = `boxoffice_engine_${process.pid}`
const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} })
await admin.unsafe(`create database ${name}`)
const url = Redacted.make(postgresUrl.replace(/\/[^/]*$/, `/${name}`))
const prefix = `boxoffice:engine:${process.pid}:`
try {
  await Effect.runPromise(migrateDatabase(url))
  if (outboxRounds > 0) {
    const database = postgres(Redacted.value(url), {
      max: 1,
      onnotice: () => {},
      connection: { search_path: defaultSchema }
    })
    const triggers = [
      ["ledger_entries", "boxoffice_charge_event"],
      ["holds", "boxoffice_hold_event"],
      ["payments", "boxoffice_payment_event"],
      ["refunds", "boxoffice_refund_event"]
    ]
    const setTriggers = (on: boolean) =>
      Promise.all(
        triggers.map(([table, trigger]) =>
          database.unsafe(`alter table ${table} ${on ? "enable" : "disable"} trigger ${trigger}`)
        )
      )
    for (let round = 1; round <= outboxRounds; round++) {
      for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
        await setTriggers(on)
        await run(
          `round ${round}: postgres (pool ${poolSize}), queue in memory, outbox ${on ? "on" : "off"}`,
          Layer.merge(PostgresStores.layer({ url, poolSize }), MemoryQueue.layer)
        )
      }
    }
    await database.end()
  } else {
    await run(
      `postgres (pool ${poolSize}), queue in memory`,
      Layer.merge(PostgresStores.layer({ url, poolSize }), MemoryQueue.layer)
    )
    await run(
      `postgres (pool ${poolSize}) + redis`,
      Layer.merge(
        PostgresStores.layer({ url, poolSize }),
        RedisQueue.layer({ url: Redacted.make(redisUrl), keyPrefix: prefix })
      )
    )
  }
} finally {
  await admin.unsafe(`drop database if exists ${name} with (force)`)
  await admin.end()
  const redis = new Redis(redisUrl)
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  await redis.quit()
}
