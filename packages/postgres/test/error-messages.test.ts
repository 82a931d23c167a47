/**
 * A store that cannot serve says which, where (never with the password)
 * and why, in the message of its typed error: a wrong port, a database
 * that does not exist, and a database nobody migrated, both for the stores
 * and for `migrateDatabase`.
 */
import { Booking, QueueTokenSigner, Unavailable } from "@boxoffice/core"
import { MemoryQueue } from "@boxoffice/memory"
import { MigrationMissing, migrateDatabase, PostgresStores } from "@boxoffice/postgres"
import { DateTime, Effect, Layer, Redacted, Result } from "effect"
import { createServer } from "node:net"
import postgres from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { serverUrl } from "./support/TestDatabase.ts"

const server = new URL(serverUrl)
const name = `boxoffice_bare_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
const admin = postgres(serverUrl, { max: 1, onnotice: () => {} })

/** A loopback port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

/** The server's URL with a password, which no message may show, and another port or database. */
const urlWith = (port: string, database: string) =>
  `postgres://${server.username}:never-shown@${server.hostname}:${port}/${database}`

/** What a read and a write through the stores fail with, and the migrator unless told not to run it. */
const failures = async (url: string, migrate = true) => {
  const booking = Booking.layer.pipe(
    Layer.provide(PostgresStores.layer({ url: Redacted.make(url), poolSize: 2, connectTimeoutSeconds: 2 })),
    Layer.provide(MemoryQueue.layer),
    Layer.provide(QueueTokenSigner.layerHmac(Redacted.make("error-messages-secret-of-32-bytes")))
  )
  const failureOf = async <A>(effect: Effect.Effect<A, unknown, Booking>) => {
    const result = await Effect.runPromise(Effect.result(effect.pipe(Effect.provide(booking))))
    assert.isTrue(Result.isFailure(result), JSON.stringify(result))
    const failure = (result as Result.Failure<A, unknown>).failure
    assert.instanceOf(failure, Unavailable)
    return failure as Unavailable
  }
  return {
    read: await failureOf(Booking.use((b) => b.listConcerts)),
    write: await failureOf(
      Booking.use((b) =>
        b.createConcert({
          title: "Never",
          dates: [{ startsAt: DateTime.makeUnsafe(Date.now() + 86_400_000), priceKrw: 1_000 }]
        })
      )
    ),
    migration: migrate ? await failureOf(migrateDatabase(Redacted.make(url))) : null
  }
}

beforeAll(async () => {
  await admin.unsafe(`create database ${name}`)
}, 60_000)
afterAll(async () => {
  await admin.unsafe(`drop database if exists ${name} with (force)`)
  await admin.end({ timeout: 5 })
})

describe("the messages of a store that cannot serve", () => {
  it("a wrong port: the address and the refused connection, never the password", async () => {
    const port = String(await closedPort())
    const { read, write, migration } = await failures(urlWith(port, name))
    const message = `the postgres store at ${server.hostname}:${port}/${name} is unavailable, so nothing happened: connect ECONNREFUSED ${server.hostname}:${port}`
    for (const error of [read, write, migration!]) {
      assert.strictEqual(error.message, message)
      assert.notInclude(String(error), "never-shown")
    }
  })

  it("a database that does not exist: its name, as the server said it", async () => {
    const missing = `${name}_missing`
    const { read, write, migration } = await failures(urlWith(server.port || "5432", missing))
    const message = `the postgres store at ${server.hostname}:${server.port || "5432"}/${missing} is unavailable, so nothing happened: database "${missing}" does not exist (3D000)`
    for (const error of [read, write, migration!]) assert.strictEqual(error.message, message)
  })

  it("a database nobody migrated: a MigrationMissing cause that says to run migrateDatabase", async () => {
    const url = urlWith(server.port || "5432", name)
    const { read, write } = await failures(url, false)
    const at = `the postgres store at ${server.hostname}:${server.port || "5432"}/${name} is unavailable, so nothing happened: `
    assert.instanceOf(read.cause, MigrationMissing)
    assert.strictEqual(
      read.message,
      `${at}the database is not migrated for @boxoffice/postgres (relation "concerts" does not exist; SQLSTATE 42P01): run migrateDatabase(url) before using the stores`
    )
    assert.instanceOf(write.cause, MigrationMissing)
    assert.strictEqual((write.cause as MigrationMissing).sqlState, "42883")
    assert.match(
      write.message,
      /^the postgres store at .+ is unavailable, so nothing happened: the database is not migrated for @boxoffice\/postgres \(function boxoffice_create_concert\([a-z, ]+\) does not exist; SQLSTATE 42883\): run migrateDatabase\(url\) before using the stores$/
    )
    // Once migrated, the same stores serve.
    await Effect.runPromise(migrateDatabase(Redacted.make(url)))
    const booking = Booking.layer.pipe(
      Layer.provide(PostgresStores.layer({ url: Redacted.make(url), poolSize: 2 })),
      Layer.provide(MemoryQueue.layer),
      Layer.provide(QueueTokenSigner.layerHmac(Redacted.make("error-messages-secret-of-32-bytes")))
    )
    assert.deepStrictEqual(
      await Effect.runPromise(Booking.use((b) => b.listConcerts).pipe(Effect.provide(booking))),
      []
    )
  })
})
