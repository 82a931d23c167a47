// A process of its own, so that an unhandled rejection ends it as it would end a server.
// Usage: node fetch-types-child.mjs <first-query|type-fetch> <database url>
// A proxy in front of Postgres resets the first connection when it sends the moment's query: the first
// query of all (`first-query`), or the driver's look-up of the server's types (`type-fetch`), which
// postgres.js 4 sends when a query first meets a type it does not know (here an enum's array).
import net from "node:net"
import { Redacted } from "effect"
import { makeClient } from "@boxoffice/postgres"

const [mode, url] = process.argv.slice(2)
const target = new URL(url)
let tripped = false
const isQuery = (chunk) => chunk[0] === 0x51 /* Q */ || chunk[0] === 0x50 /* P */
const proxy = net.createServer((client) => {
  const server = net.connect(Number(target.port || 5432), target.hostname)
  let started = false
  client.on("data", (chunk) => {
    // The startup message comes first and has no type byte; every later message starts with one.
    const trip = mode === "first-query" ? started && isQuery(chunk) : chunk.includes("pg_catalog.pg_type")
    started = true
    if (!tripped && trip) {
      tripped = true
      client.resetAndDestroy()
      server.destroy()
      return
    }
    server.write(chunk)
  })
  server.on("data", (chunk) => client.write(chunk))
  client.on("error", () => server.destroy())
  server.on("error", () => client.destroy())
  client.on("close", () => server.destroy())
  server.on("close", () => client.destroy())
})
await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve))
const proxied = new URL(url)
proxied.hostname = "127.0.0.1"
proxied.port = String(proxy.address().port)

const sql = makeClient({ url: Redacted.make(proxied.href), poolSize: 1 })
const query =
  mode === "first-query"
    ? () => sql`select 1 as one, '{3,1,2}'::int[] as seats, '{}'::int[] as none`
    : () => sql`select array['high', 'low']::boxoffice_test_mood[] as moods`
let answer
const failures = []
for (let attempt = 0; attempt < 5 && answer === undefined; attempt++) {
  answer = await query().then(
    (rows) => rows[0],
    (error) => void failures.push(error.code ?? error.message)
  )
}
// Give a dropped rejection its turn to surface before reporting.
await new Promise((resolve) => setTimeout(resolve, 200))
console.log(JSON.stringify({ tripped, failures, answer }))
await sql.end({ timeout: 1 })
proxy.close()
