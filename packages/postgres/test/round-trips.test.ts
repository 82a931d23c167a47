/**
 * The line that keeps a flash sale at store speed: every use case that writes
 * to Postgres sends exactly one statement, and a read at most two. Counted on
 * the driver itself (postgres.js's `debug` hook sees every statement a pool
 * sends), with the catalog cached as it is after an instance's first touch of
 * a concert, and the queue in memory, so every statement counted is
 * Postgres's.
 */
import { Booking, type Concert, newId, QueueTokenSigner, UserId } from "@boxoffice/core"
import { MemoryQueue } from "@boxoffice/memory"
import { PgDatabase, PostgresStores, serverTimeouts } from "@boxoffice/postgres"
import { DateTime, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import postgres from "postgres"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { createTestDatabase, type TestDatabase } from "./support/TestDatabase.ts"

let database: TestDatabase
const sent: Array<string> = []
let client: postgres.Sql
let runtime: ManagedRuntime.ManagedRuntime<Booking, never>

beforeAll(async () => {
  database = await createTestDatabase()
  client = postgres(Redacted.value(database.url), {
    // One connection, opened before counting: the driver's own type lookup on connect is not a use case's.
    max: 1,
    onnotice: () => {},
    connection: PgDatabase.connectionParameters(serverTimeouts({})),
    debug: (_connection, statement) => void sent.push(statement)
  })
  await client`select 1`
  runtime = ManagedRuntime.make(
    Booking.layer.pipe(
      Layer.provideMerge(PostgresStores.layerFromClient(client)),
      Layer.provideMerge(MemoryQueue.layer),
      Layer.provideMerge(QueueTokenSigner.layerHmac(Redacted.make("round-trips-secret-of-32-bytes-or-more")))
    )
  )
}, 60_000)
afterAll(async () => {
  await runtime?.dispose()
  await client?.end({ timeout: 5 })
  await database?.drop()
})

/** The statements `effect` sent, in order. */
const statementsOf = async <A, E>(
  effect: Effect.Effect<A, E, Booking>
): Promise<{ value: A; statements: Array<string> }> => {
  sent.length = 0
  const value = await runtime.runPromise(effect)
  return { value, statements: [...sent] }
}

const booking = <A, E>(f: (b: Booking["Service"]) => Effect.Effect<A, E>) => Booking.use(f)

const expectStatements = (statements: Array<string>, count: number, name: string) =>
  assert.strictEqual(statements.length, count, `${name} sent ${statements.length}: ${statements.join(" | ")}`)

describe("statements per use case", () => {
  let concert: Concert
  let userId: UserId
  let token: string

  it("writes send one statement each: create a concert, charge, hold, release, pay", async () => {
    const created = await statementsOf(
      booking((b) =>
        b.createConcert({
          title: "Round trips",
          dates: [0, 1, 2].map((day) => ({
            startsAt: DateTime.makeUnsafe(Date.now() + (30 + day) * 86_400_000),
            priceKrw: 10_000
          }))
        })
      )
    )
    expectStatements(created.statements, 1, "createConcert")
    concert = created.value
    userId = Effect.runSync(newId(UserId))
    const dateId = concert.dates[0]!.dateId

    const joined = await statementsOf(booking((b) => b.joinQueue(userId, concert.concertId)))
    expectStatements(joined.statements, 0, "joinQueue (the queue is not Postgres's)")
    token = joined.value.queueToken

    expectStatements((await statementsOf(booking((b) => b.charge(userId, 50_000, null)))).statements, 1, "charge")
    expectStatements(
      (await statementsOf(booking((b) => b.charge(userId, 10_000, "top-up")))).statements,
      1,
      "keyed charge"
    )
    expectStatements(
      (await statementsOf(booking((b) => b.charge(userId, 10_000, "top-up")))).statements,
      1,
      "replayed charge"
    )

    const released = await statementsOf(booking((b) => b.hold(userId, token, dateId, [1, 2])))
    expectStatements(released.statements, 1, "hold")
    expectStatements(
      (await statementsOf(booking((b) => b.releaseHold(userId, released.value.holdId)))).statements,
      1,
      "releaseHold"
    )

    const held = await statementsOf(booking((b) => b.hold(userId, token, dateId, [3])))
    expectStatements(held.statements, 1, "hold")
    const paid = await statementsOf(booking((b) => b.pay(userId, token, held.value.holdId, "pay-1")))
    expectStatements(paid.statements, 1, "keyed pay")
    assert.strictEqual(paid.value.balanceKrw, 50_000)
  })

  it("reads send at most two: a replay after the token ended takes one read, as do seats, dates and the wallet", async () => {
    const dateId = concert.dates[0]!.dateId
    // The payment above ended the token: its retry is refused by the queue, then answered from the record.
    const heldBefore = await runtime.runPromise(booking((b) => b.listPayments(userId)))
    const replayed = await statementsOf(booking((b) => b.pay(userId, token, heldBefore[0]!.holdId, "pay-1")))
    expectStatements(replayed.statements, 1, "pay replayed after the token ended (one read)")
    assert.strictEqual(replayed.value.paymentId, heldBefore[0]!.paymentId)

    const other = Effect.runSync(newId(UserId))
    const ticket = await runtime.runPromise(booking((b) => b.joinQueue(other, concert.concertId)))
    expectStatements(
      (await statementsOf(booking((b) => b.listDates(other, ticket.queueToken, concert.concertId)))).statements,
      1,
      "listDates (three dates, one read)"
    )
    expectStatements(
      (await statementsOf(booking((b) => b.listSeats(other, ticket.queueToken, dateId)))).statements,
      1,
      "listSeats"
    )
    expectStatements((await statementsOf(booking((b) => b.balance(userId)))).statements, 1, "balance")
    expectStatements((await statementsOf(booking((b) => b.listPayments(userId)))).statements, 1, "listPayments")
    expectStatements(
      (await statementsOf(booking((b) => b.getHold(userId, heldBefore[0]!.holdId)))).statements,
      1,
      "getHold"
    )
    expectStatements(
      (await statementsOf(booking((b) => b.listConcerts))).statements,
      2,
      "listConcerts (concerts, then dates)"
    )
  })
})
