// The failure the adapter avoids, on the same installed driver: a backend
// terminated inside a client-side transaction makes postgres.js 3.4.9 write
// to its dropped socket from a setImmediate, and the process dies. Exits 0
// only if it did not die (the driver no longer has the failure).
import postgres from "postgres"

const url = process.env["BOXOFFICE_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
const sql = postgres(url, { max: 2, onnotice: () => {} })
const admin = postgres(url, { max: 1, onnotice: () => {} })
for (let round = 0; round < 20; round++) {
  const calls = Array.from({ length: 6 }, () =>
    sql
      .begin(async (tx) => {
        await tx`select pg_sleep(0.2)`
        await tx`select 1`
      })
      .catch(() => {})
  )
  await new Promise((resolve) => setTimeout(resolve, 50))
  await admin`select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(0.2)%' and pid <> pg_backend_pid()`
  await Promise.all(calls)
}
await sql.end({ timeout: 1 })
await admin.end({ timeout: 1 })
console.log("the driver survived")
