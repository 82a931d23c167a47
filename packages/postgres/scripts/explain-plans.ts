/**
 * Prints the EXPLAIN plan of every hot query on a seeded throwaway database,
 * and of every statement inside each write function (through auto_explain,
 * nested statements included), for docs/postgres.md. Run: node packages/postgres/scripts/explain-plans.ts
 * (Node 24 strips the types), after `pnpm build`.
 */
import { Effect, Redacted } from "effect"
import postgres from "postgres"
import { migrateDatabase } from "../dist/index.js"

const server = process.env["BOXOFFICE_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
const name = `boxoffice_explain_${process.pid}`
const admin = postgres(server, { max: 1, onnotice: () => {} })
await admin.unsafe(`create database ${name}`)
const url = server.replace(/\/[^/]*$/, `/${name}`)
await Effect.runPromise(migrateDatabase(Redacted.make(url)))
const sql = postgres(url, { max: 1, onnotice: () => {} })

try {
  // 200 concerts × 5 dates × 50 seats, with holds, sales and wallets, then fresh statistics.
  await sql.unsafe(`
    insert into concerts select gen_random_uuid(), 'c' || i, '{}'::jsonb from generate_series(1, 200) i;
    insert into concert_dates select gen_random_uuid(), concert_id, d, now() + d * interval '1 day', 10000, 50
      from concerts, generate_series(1, 5) d;
    insert into seats (date_id, seat_number) select date_id, generate_series(1, 50) from concert_dates;
    insert into holds select gen_random_uuid(), gen_random_uuid(), date_id, array[1,2], 20000, 'held', now(), now() + interval '5 minutes'
      from concert_dates, generate_series(1, 20);
    update seats s set hold_id = h.hold_id, hold_user_id = h.user_id, hold_expires_at = h.expires_at
      from (select distinct on (date_id) * from holds order by date_id, hold_id) h
      where s.date_id = h.date_id and s.seat_number = any (h.seat_numbers);
    insert into wallets select gen_random_uuid(), 100000 from generate_series(1, 50000);
    insert into wallets select distinct user_id, 100000 from holds;
    insert into ledger_entries (user_id, kind, reference_id, amount_krw, at)
      select user_id, 'charge', gen_random_uuid(), 100000, now() from wallets;
    analyze;`)
  const [date] = await sql`select date_id from concert_dates limit 1`
  // A hold that really holds its seats, so the payment below goes all the way to the sale.
  const [hold] = await sql`
    select h.hold_id, h.user_id, d.concert_id from holds h join concert_dates d using (date_id)
    where exists (select 1 from seats s where s.hold_id = h.hold_id) limit 1`
  const [wallet] = await sql`select user_id from wallets limit 1`
  const queries: Array<[string, string]> = [
    [
      "seat map of a date",
      `select seat_number, case when sold_user_id is not null then 'sold' when hold_expires_at > boxoffice_now() then 'held' else 'available' end from seats where date_id = '${date!.date_id}' order by seat_number`
    ],
    [
      "available seats of a concert's dates (one read)",
      `select s.date_id, count(*)::int from seats s where s.date_id = any(array(select date_id from concert_dates where concert_id = '${hold!.concert_id}')) and s.sold_user_id is null and (s.hold_expires_at is null or s.hold_expires_at <= (select boxoffice_now())) group by s.date_id`
    ],
    ["ledger of a user", `select * from ledger_entries where user_id = '${wallet!.user_id}' order by entry_id`],
    ["payments of a user", `select * from payments where user_id = '${wallet!.user_id}' order by paid_at`],
    [
      "funds of a user (balance and live reservations, one read)",
      `select coalesce((select w.balance_krw from wallets w where w.user_id = '${wallet!.user_id}'), 0)::int, (select coalesce(sum(h.amount_krw), 0) from holds h where h.user_id = '${wallet!.user_id}' and h.reserves_funds and h.state = 'held' and h.expires_at > (select boxoffice_now()))::int`
    ],
    [
      "sweeper batch",
      `select date_id, seat_number from seats where hold_expires_at <= boxoffice_now() order by hold_expires_at limit 500 for update skip locked`
    ]
  ]
  for (const [title, query] of queries) {
    await sql`begin`
    const plan = await sql.unsafe(`explain ${query}`)
    await sql`rollback`
    console.log(`### ${title}\n\n\`\`\`\n${plan.map((row) => row["QUERY PLAN"]).join("\n")}\n\`\`\`\n`)
  }
  // Each function call, rolled back, with the plan of every statement it ran.
  const notices: Array<string> = []
  const traced = postgres(url, { max: 1, onnotice: (notice) => notices.push(notice.message) })
  await traced.unsafe(`load 'auto_explain'; set auto_explain.log_min_duration = 0;
    set auto_explain.log_nested_statements = on; set client_min_messages = log`)
  const user = wallet!.user_id as string
  const calls: Array<[string, string]> = [
    [
      "boxoffice_hold",
      `select * from boxoffice_hold(gen_random_uuid(), '${user}', '${date!.date_id}', '{3,4}', 20000, 300, 4, 4102444800000, true)`
    ],
    ["boxoffice_release", `select * from boxoffice_release('${hold!.hold_id}', '${hold!.user_id}')`],
    [
      "boxoffice_charge",
      `select * from boxoffice_charge(gen_random_uuid(), '${user}', 1000, 1000000000, 'k', 'charge:1000')`
    ],
    [
      "boxoffice_pay",
      `select * from boxoffice_pay(gen_random_uuid(), '${hold!.hold_id}', '${hold!.user_id}', '${hold!.concert_id}', gen_random_uuid(), 'p', 'payment:${hold!.hold_id}')`
    ],
    [
      "boxoffice_create_concert",
      `select boxoffice_create_concert(gen_random_uuid(), 'Plans', '{}', jsonb_build_array(jsonb_build_object('dateId', gen_random_uuid(), 'startsAt', now() + interval '9 days', 'priceKrw', 1000, 'seatCount', 50)))`
    ],
    ["boxoffice_idempotency_replay", `select * from boxoffice_idempotency_replay('${user}', 'k', 'charge:1000')`]
  ]
  for (const [name, call] of calls) {
    await traced`begin`
    notices.length = 0
    await traced.unsafe(call)
    await traced`rollback`
    const plans = notices
      .filter((notice) => !notice.includes(`Query Text: ${call}`))
      // Only statements that touch a table; the clock and conversions are noise here.
      .filter((notice) => /Scan|Insert on|Update on|Delete on|LockRows/.test(notice))
      .map((notice) => notice.replace(/^duration: [\d.]+ ms\s+plan:\n/, ""))
      // A foreign key check runs once per inserted row: show it once.
      .filter((plan, index, all) => {
        const shape = (text: string) => text.replace(/'[0-9a-f-]{36}'::uuid/g, "")
        return !plan.includes("FOR KEY SHARE") || all.findIndex((other) => shape(other) === shape(plan)) === index
      })
    console.log(`### ${name}\n\n\`\`\`\n${plans.join("\n\n")}\n\`\`\`\n`)
  }
  await traced.end()
} finally {
  await sql.end()
  await admin.unsafe(`drop database ${name} with (force)`)
  await admin.end()
}
