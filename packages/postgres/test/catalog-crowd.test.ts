/**
 * A crowd on an instance that has not cached its concert yet (a new worker,
 * a restarted instance) sends one catalog query, not one per request: the
 * concurrent misses share a single load. Counted on the driver (postgres.js's
 * `debug` hook) of a second instance with an empty cache and a pool of 20.
 */
import { Booking, Catalog, type Concert, QueueTokenSigner } from "@boxoffice/core"
import { MemoryQueue } from "@boxoffice/memory"
import { PgDatabase, PostgresStores, serverTimeouts } from "@boxoffice/postgres"
import { DateTime, Effect, Layer, ManagedRuntime, Option, Redacted } from "effect"
import postgres from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createTestDatabase, type TestDatabase } from "./support/TestDatabase.ts"

let database: TestDatabase
let writer: ManagedRuntime.ManagedRuntime<Booking, never>
let readerClient: postgres.Sql
let reader: ManagedRuntime.ManagedRuntime<Catalog, never>
const sent: Array<string> = []
const concerts: Array<Concert> = []

beforeAll(async () => {
  database = await createTestDatabase()
  writer = ManagedRuntime.make(
    Booking.layer.pipe(
      Layer.provideMerge(PostgresStores.layer({ url: database.url, poolSize: 2 })),
      Layer.provideMerge(MemoryQueue.layer),
      Layer.provideMerge(QueueTokenSigner.layerHmac(Redacted.make("catalog-crowd-secret-of-32-bytes-or-more")))
    )
  )
  for (const title of ["Crowd one", "Crowd two"]) {
    concerts.push(
      await writer.runPromise(
        Booking.use((b) =>
          b.createConcert({
            title,
            dates: [0, 1].map((day) => ({
              startsAt: DateTime.makeUnsafe(Date.now() + (30 + day) * 86_400_000),
              priceKrw: 10_000
            }))
          })
        )
      )
    )
  }
  readerClient = postgres(Redacted.value(database.url), {
    max: 20,
    onnotice: () => {},
    connection: PgDatabase.connectionParameters(serverTimeouts({})),
    debug: (_connection, statement) => void sent.push(statement)
  })
  reader = ManagedRuntime.make(PostgresStores.layerFromClient(readerClient))
}, 60_000)
afterAll(async () => {
  await reader?.dispose()
  await readerClient?.end({ timeout: 5 })
  await writer?.dispose()
  await database?.drop()
})

/** `count` calls at once on the reader, and the statements they sent. */
const crowd = async <A>(count: number, call: (catalog: Catalog["Service"]) => Effect.Effect<A, unknown>) => {
  sent.length = 0
  const answers = await reader.runPromise(
    Effect.all(
      Array.from({ length: count }, () => Catalog.use(call)),
      { concurrency: "unbounded" }
    )
  )
  return { answers, statements: [...sent] }
}

describe("the Postgres catalog under a crowd", () => {
  it("loads an uncached concert once for 100 concurrent lookups, then answers from memory", async () => {
    const concert = concerts[0]!
    const first = await crowd(100, (catalog) => catalog.findConcert(concert.concertId))
    assert.strictEqual(first.statements.length, 2, `sent ${first.statements.join(" | ")}`) // the concert, then its dates
    assert.isTrue(first.answers.every((found) => Option.isSome(found) && found.value.concertId === concert.concertId))
    assert.deepStrictEqual(
      Option.getOrThrow(first.answers[99]!).dates.map((d) => d.dateId),
      concert.dates.map((d) => d.dateId)
    )
    const again = await crowd(100, (catalog) => catalog.findConcert(concert.concertId))
    assert.strictEqual(again.statements.length, 0)
  })

  it("loads an uncached date once for 100 concurrent lookups", async () => {
    const date = concerts[1]!.dates[1]!
    const first = await crowd(100, (catalog) => catalog.findDate(date.dateId))
    assert.strictEqual(first.statements.length, 3, `sent ${first.statements.join(" | ")}`) // the date's concert id, the concert, its dates
    assert.isTrue(first.answers.every((found) => Option.isSome(found) && found.value.dateId === date.dateId))
  })

  it("answers none alike to a crowd asking for a concert that does not exist, and asks again afterwards", async () => {
    const missing = "0192f9a0-1234-7abc-8def-0123456789ab" as Concert["concertId"]
    const first = await crowd(50, (catalog) => catalog.findConcert(missing))
    assert.strictEqual(first.statements.length, 1)
    assert.isTrue(first.answers.every(Option.isNone))
    // Nothing cached for a miss: a concert created since would be found.
    assert.strictEqual((await crowd(1, (catalog) => catalog.findConcert(missing))).statements.length, 1)
  })
})
