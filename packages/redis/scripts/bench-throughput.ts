/**
 * Benchmark (not a test): how many queue calls one Redis node serves, and at
 * what Redis CPU cost, with 10^5 users waiting in one queue. Many calls in
 * flight through one auto-pipelined client, for a few seconds each: status
 * calls of random waiters, then joins of new users. Redis's own CPU time
 * (INFO cpu) over the same span gives calls per Redis CPU-second, the figure
 * docs/scaling.md builds on. Run after `pnpm build`:
 *   node packages/redis/scripts/bench-throughput.ts
 */
import { QueuePolicy, type QueueTokenId, type UserId } from "@boxoffice/core"
import { Effect } from "effect"
import { Redis } from "ioredis"
import { tokenKeyOf, userKeyOf } from "../dist/internal/LineKeys.js"
import { makeQueue, scriptArguments } from "../dist/Queue.js"

const url = process.env["BOXOFFICE_TEST_REDIS"] ?? "redis://127.0.0.1:6379"
const prefix = `boxoffice:bench:${process.pid}:`
const client = new Redis(url, { enableAutoPipelining: true })
const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 86_400, admitPerMinute: null })
const queue = makeQueue(client, { keyPrefix: prefix })
const waiting = 100_000
const seconds = 5
const inFlight = 256

const redisCpuSeconds = async () => {
  const info = await client.info("cpu")
  const field = (name: string) => Number(info.match(new RegExp(`${name}:([0-9.]+)`))![1])
  return field("used_cpu_sys") + field("used_cpu_user")
}

/** The user each bench token was joined for: made from the token, so that a token alone names its holder. */
const holderOf = (token: string) => ({ tokenId: token as QueueTokenId, userId: `user-${token}` as UserId })

const concertId = crypto.randomUUID() as never
const tokens: Array<string> = []
for (let done = 0; done < waiting; done += 10_000) {
  const pipeline = client.pipeline()
  for (let i = done; i < done + 10_000; i++) {
    const token = crypto.randomUUID()
    tokens.push(token)
    ;(pipeline as unknown as Record<string, (...args: Array<unknown>) => void>)["boxofficeJoin"]!(
      ...scriptArguments(prefix, concertId as never, "", policy),
      userKeyOf(`user-${token}`),
      tokenKeyOf(token)
    )
  }
  await pipeline.exec()
}

const measure = async (name: string, call: () => Promise<unknown>) => {
  const cpuBefore = await redisCpuSeconds()
  const started = performance.now()
  const until = started + seconds * 1000
  let calls = 0
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        await call()
        calls++
      }
    })
  )
  const wallSeconds = (performance.now() - started) / 1000
  const cpu = (await redisCpuSeconds()) - cpuBefore
  const row = {
    name,
    waiting,
    callsPerSecond: Math.round(calls / wallSeconds),
    redisCpuShare: Number((cpu / wallSeconds).toFixed(2)),
    callsPerRedisCpuSecond: Math.round(calls / cpu)
  }
  console.log(JSON.stringify(row))
}

await measure("status", () =>
  Effect.runPromise(queue.status(concertId, holderOf(tokens[Math.floor(Math.random() * tokens.length)]!), policy))
)
await measure("join", () =>
  Effect.runPromise(
    queue.join({ tokenId: crypto.randomUUID() as never, concertId, userId: crypto.randomUUID() as never, policy })
  )
)

let cursor = "0"
do {
  const [next, found] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000)
  cursor = next
  if (found.length > 0) await client.del(...found)
} while (cursor !== "0")
await client.quit()
