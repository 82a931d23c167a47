// A process of its own, so that an unhandled rejection ends it as it would end a server.
// Usage: node fetch-types-child.mjs <stock|adapter> <database url>
// A proxy in front of Postgres resets the first connection that sends the driver's array-type query.
import net from "node:net"
import postgres from "postgres"
import { Redacted } from "effect"
import { makeClient } from "@boxoffice/postgres"

const [mode, url] = process.argv.slice(2)
const target = new URL(url)
let tripped = false
const proxy = net.createServer((client) => {
  const server = net.connect(Number(target.port || 5432), target.hostname)
  client.on("data", (chunk) => {
    if (!tripped && chunk.includes("pg_catalog.pg_type")) {
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

const sql =
  mode === "stock"
    ? postgres(proxied.href, { max: 1, onnotice: () => {} })
    : makeClient({ url: Redacted.make(proxied.href), poolSize: 1 })
let answer
for (let attempt = 0; attempt < 5 && answer === undefined; attempt++) {
  answer = await sql`select 1 as one, '{3,1,2}'::int[] as seats, '{}'::int[] as none`.then(
    (rows) => rows[0],
    () => undefined
  )
}
// Give a dropped rejection its turn to surface before reporting.
await new Promise((resolve) => setTimeout(resolve, 200))
console.log(JSON.stringify({ tripped, answer }))
await sql.end({ timeout: 1 })
proxy.close()
