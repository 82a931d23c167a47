/**
 * The packed `@boxoffice/postgres` on the newest postgres.js its peer range
 * allows, used as it comes: keyed charges are held on a row lock inside
 * their function, their backends are terminated, and the process must live
 * on with every call answered by a success or a typed error, and with
 * exactly one credit per key in the end.
 */
import { Booking, newId, QueueTokenSigner, UserId } from "@boxoffice/core"
import { MemoryQueue } from "@boxoffice/memory"
import { migrateDatabase, PostgresStores } from "@boxoffice/postgres"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import postgres from "postgres"

const server = process.env["BOXOFFICE_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
const name = `boxoffice_consumer_${process.pid}`
const admin = postgres(server, { max: 1, onnotice: () => {} })
await admin.unsafe(`create database ${name}`)
const url = server.replace(/\/[^/]*$/, `/${name}`)
const observer = postgres(url, { max: 2, onnotice: () => {} })
const runtime = ManagedRuntime.make(
  Booking.layer.pipe(
    Layer.provideMerge(PostgresStores.layer({ url: Redacted.make(url), poolSize: 4 })),
    Layer.provideMerge(MemoryQueue.layer),
    Layer.provideMerge(QueueTokenSigner.layerHmac(Redacted.make(`${crypto.randomUUID()}${crypto.randomUUID()}`)))
  )
)
const fail = (message: string): never => {
  console.error(`driver fault check: ${message}`)
  process.exit(1)
}

try {
  await Effect.runPromise(migrateDatabase(Redacted.make(url)))
  const userId = Effect.runSync(newId(UserId))
  await runtime.runPromise(Booking.use((b) => b.charge(userId, 1_000, "opening")))
  const keys: Array<string> = []
  const tally: Record<string, number> = {}
  for (let round = 0; round < 10; round++) {
    // Another session holds the wallet row, so the charges wait inside boxoffice_charge.
    const blocker = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: "boxoffice" } })
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      void blocker.begin(async (tx) => {
        await tx`select 1 from wallets where user_id = ${userId} for update`
        resolve()
        await new Promise<void>((done) => (release = done))
      })
    })
    await held
    const roundKeys = Array.from({ length: 6 }, (_, i) => `round-${round}-${i}`)
    keys.push(...roundKeys)
    const calls = roundKeys.map((key) =>
      runtime.runPromise(Effect.result(Booking.use((b) => b.charge(userId, 1_000, key))))
    )
    for (let i = 0; i < 200; i++) {
      const [row] = await observer<Array<{ waiting: number }>>`
        select count(*)::int as waiting from pg_stat_activity
        where datname = ${name} and wait_event_type = 'Lock' and query like '%boxoffice_charge%'`
      if (row!.waiting > 0) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await observer`
      select pg_terminate_backend(pid) from pg_stat_activity
      where datname = ${name} and wait_event_type = 'Lock' and query like '%boxoffice_charge%'`
    release()
    await blocker.end({ timeout: 1 })
    for (const result of await Promise.all(calls)) {
      const tag = result._tag === "Success" ? "charged" : result.failure._tag
      if (!["charged", "OutcomeUnknown", "Unavailable", "IdempotencyInFlight"].includes(tag)) fail(`unexpected ${tag}`)
      tally[tag] = (tally[tag] ?? 0) + 1
    }
  }
  // Every key retried, as a client would: a committed charge replays, one that never happened runs now.
  // A retry may itself meet a connection the terminations left behind and answer unavailable (nothing
  // happened), so each key is retried until it answers, a few times at most.
  let extraRetries = 0
  for (const key of keys) {
    for (let attempt = 1; ; attempt++) {
      const result = await runtime.runPromise(Effect.result(Booking.use((b) => b.charge(userId, 1_000, key))))
      if (result._tag === "Success") break
      if (attempt === 5 || !["OutcomeUnknown", "Unavailable"].includes(result.failure._tag)) {
        fail(`the retry of ${key} answered ${result.failure._tag} ${attempt} times`)
      }
      extraRetries++
    }
  }
  const balance = await runtime.runPromise(Booking.use((b) => b.balance(userId)))
  if (balance !== 1_000 * (keys.length + 1)) fail(`balance ${balance}, expected ${1_000 * (keys.length + 1)}`)
  if ((tally["OutcomeUnknown"] ?? 0) + (tally["Unavailable"] ?? 0) === 0)
    fail("no call was cut: the check proved nothing")
  console.log(
    `driver fault check: the process lived; ${JSON.stringify(tally)}; balance exact after retries (${extraRetries} retried again)`
  )
} finally {
  await runtime.dispose()
  await observer.end({ timeout: 1 })
  await admin.unsafe(`drop database if exists ${name} with (force)`)
  await admin.end({ timeout: 1 })
}
