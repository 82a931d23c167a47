/**
 * The outbox's retention (`EventRetention.ts`) on real Postgres: events are
 * aged by writing their times, not by waiting. With a webhook, delivered
 * events go after 7 days and parked ones after 30; without one, every event
 * goes after 7 days; a sweep deletes in batches of 500 while they come back
 * full.
 */
import { Events } from "@boxoffice/core"
import { migrateDatabase, PostgresStores } from "@boxoffice/postgres"
import { Effect, Redacted } from "effect"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { eventPurgeBatch, purgeOldEvents } from "../src/EventRetention.ts"
import { createStores, type Stores } from "./support/Stores.ts"

let stores: Stores
beforeAll(async () => {
  stores = await createStores()
  await Effect.runPromise(migrateDatabase(Redacted.make(stores.databaseUrl)))
}, 60_000)
afterAll(async () => {
  await stores?.drop()
})

const run = <A, E>(effect: Effect.Effect<A, E, Events>) =>
  Effect.runPromise(
    Effect.provide(effect, PostgresStores.layer({ url: Redacted.make(stores.databaseUrl), poolSize: 2 }))
  )

/** Records `count` charge events `ageDays` old, delivered `deliveredDaysAgo` ago or parked (null). */
const seed = async (name: string, count: number, ageDays: number, deliveredDaysAgo: number | null) => {
  await stores.sql.unsafe(
    `insert into events (type, at, user_id, charge_id, amount_krw, delivered_at, parked_at)
     select 'wallet.charged', now() - make_interval(days => $1), u, gen_random_uuid(), 1000,
       case when $2::int is null then null else now() - make_interval(days => $2::int) end,
       case when $2::int is null then now() - make_interval(days => $1) + interval '1 day' end
     from (select ('00000000-0000-4000-8000-' || lpad($3::text, 12, '0'))::uuid as u from generate_series(1, $4)) s`,
    [ageDays, deliveredDaysAgo, name, count]
  )
}

const left = async () =>
  (
    await stores.sql<Array<{ user_id: string; count: number }>>`
      select right(user_id::text, 1) as user_id, count(*)::int as count from events group by user_id order by 1`
  ).map((row) => [row.user_id, row.count])

describe("event retention", () => {
  it("keeps delivered events 7 days and parked ones 30 where a webhook delivers; all 7 days without", async () => {
    await seed("1", eventPurgeBatch * 2 + 10, 8, 8) // delivered over 7 days ago: gone with a webhook
    await seed("2", 3, 8, null) // parked, 8 days old: kept with a webhook, gone without
    await seed("3", 4, 31, null) // parked a month ago: gone either way
    await seed("4", 5, 1, 1) // recent: kept either way
    await seed("5", 6, 8, 6) // 8 days old, delivered 6 days ago: kept with a webhook, gone without
    // A read numbers them, as every reader does.
    assert.lengthOf(await run(Events.use((events) => events.read(0, 1))), 1)
    assert.strictEqual(await run(purgeOldEvents({ deliveredOnly: true })), eventPurgeBatch * 2 + 10 + 4)
    assert.deepStrictEqual(await left(), [
      ["2", 3],
      ["4", 5],
      ["5", 6]
    ])
    assert.strictEqual(await run(purgeOldEvents({ deliveredOnly: false })), 3 + 6)
    assert.deepStrictEqual(await left(), [["4", 5]])
  })
})
