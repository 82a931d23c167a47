/**
 * Benchmark (not a test): how long a waiter's status call, whose main cost
 * is the position lookup, takes with 10^3, 10^5 and 10^6 users waiting,
 * against a bare PING measured in the same run; and how long the call that
 * performs the fair-start draw takes with 10^3, 10^4 and 10^5 pending; and the
 * CPU that Redis itself spends per status call and per join, for a sale just
 * opened (nobody admitted after waiting yet), one under way (a full ETA
 * sample) and one under way behind a full rate cap of 600 a minute, read from
 * /proc when Redis runs on this machine. Writes
 * docs/benchmarks/redis-position.json. Run after `pnpm build`:
 *   node packages/redis/scripts/bench-position.ts [--quick]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { QueuePolicy, type QueueTokenId, type UserId } from "@boxoffice/core"
import { DateTime, Effect, Option } from "effect"
import { Redis } from "ioredis"
import { memberOf, tokenKeyOf, userKeyOf } from "../dist/internal/LineKeys.js"
import { queueKeyNames } from "../dist/internal/scripts.js"
import { makeQueue, queueKeys, scriptArguments } from "../dist/Queue.js"

const quick = process.argv.includes("--quick")
const sizes = quick ? [1_000, 10_000] : [1_000, 100_000, 1_000_000]
const samples = quick ? 500 : 5_000
const url = process.env["BOXOFFICE_TEST_REDIS"] ?? "redis://127.0.0.1:6379"
const prefix = `boxoffice:bench:${process.pid}:`
const client = new Redis(url)
const policy = new QueuePolicy({ maxActive: 1, activeSeconds: 86_400, admitPerMinute: null })
const queue = makeQueue(client, { keyPrefix: prefix })

const percentile = (sorted: Array<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
const summarize = (latenciesUs: Array<number>) => {
  const sorted = [...latenciesUs].sort((a, b) => a - b)
  return {
    p50Us: percentile(sorted, 0.5),
    p99Us: percentile(sorted, 0.99),
    meanUs: sorted.reduce((a, b) => a + b, 0) / sorted.length
  }
}
const time = async (call: () => Promise<unknown>) => {
  const started = process.hrtime.bigint()
  await call()
  return Number(process.hrtime.bigint() - started) / 1_000
}

/** The user each bench token was joined for: made from the token, so that a token alone names its holder. */
const holderOf = (token: string) => ({ tokenId: token as QueueTokenId, userId: `user-${token}` as UserId })

const results = []
for (const size of sizes) {
  const concertId = crypto.randomUUID()
  const keys = queueKeys(prefix, concertId as never)
  // Fill the queue straight through the join script, pipelined.
  const tokens: Array<string> = []
  const fillStarted = performance.now()
  for (let done = 0; done < size; done += 10_000) {
    const pipeline = client.pipeline()
    for (let i = done; i < Math.min(size, done + 10_000); i++) {
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
  const fillMs = performance.now() - fillStarted
  const ping: Array<number> = []
  const status: Array<number> = []
  for (let i = 0; i < samples; i++) {
    ping.push(await time(() => client.ping()))
    const token = tokens[Math.floor(Math.random() * tokens.length)]!
    status.push(
      await time(() =>
        Effect.runPromise(Effect.map(queue.status(concertId as never, holderOf(token), policy), Option.getOrThrow))
      )
    )
  }
  const memoryBytes = (await Promise.all(keys.map((key) => client.memory("USAGE", key)))).reduce<number>(
    (a, b) => a + Number(b ?? 0),
    0
  )
  const row = {
    waitingUsers: size,
    fillMs: Math.round(fillMs),
    bytesPerWaiter: Math.round(memoryBytes / size),
    ping: summarize(ping),
    status: summarize(status)
  }
  results.push(row)
  console.log(JSON.stringify(row))
  await client.del(...keys)
}
// The fair-start draw: the first call at the opening shuffles the whole pre-queue into the line.
const drawSizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000]
const drawRounds = 3
const draws = []
for (const size of drawSizes) {
  const callsMs: Array<number> = []
  const nextCallsUs: Array<number> = []
  for (let round = 0; round < drawRounds; round++) {
    const concertId = crypto.randomUUID()
    const keys = queueKeys(prefix, concertId as never)
    const opensAtMs = Date.now() + 3_600_000
    const opening = new QueuePolicy({ ...policy, opensAt: DateTime.makeUnsafe(opensAtMs) })
    const commands = client as unknown as Record<string, (...args: Array<unknown>) => Promise<unknown>>
    const tokens: Array<string> = []
    // Joins an hour before the opening (the time is passed in), pipelined.
    for (let done = 0; done < size; done += 10_000) {
      const pipeline = client.pipeline() as unknown as Record<string, (...args: Array<unknown>) => void> & {
        exec(): Promise<unknown>
      }
      for (let i = done; i < Math.min(size, done + 10_000); i++) {
        const token = crypto.randomUUID()
        tokens.push(token)
        pipeline["boxofficeJoin"]!(
          ...scriptArguments(prefix, concertId as never, String(opensAtMs - 1_000), opening),
          userKeyOf(`user-${token}`),
          tokenKeyOf(token)
        )
      }
      await pipeline.exec()
    }
    const atOpening = () =>
      commands["boxofficeStatus"]!(
        ...scriptArguments(prefix, concertId as never, String(opensAtMs), opening),
        memberOf(holderOf(tokens[0]!))
      )
    callsMs.push((await time(atOpening)) / 1_000)
    nextCallsUs.push(await time(atOpening))
    const drawn =
      Number(await client.zcard(keys[queueKeyNames.indexOf("waiting")]!)) +
      Number(await client.zcard(keys[queueKeyNames.indexOf("active")]!))
    if (drawn !== size) throw new Error(`the draw placed ${drawn} of ${size}`)
    await client.del(...keys)
  }
  const row = {
    pendingUsers: size,
    drawCallMs: callsMs.map((ms) => Number(ms.toFixed(1))),
    nextCallUs: nextCallsUs.map((us) => Math.round(us))
  }
  draws.push(row)
  console.log(JSON.stringify(row))
}

// Redis's own CPU per call: Redis is shared by every instance, so its work per poll bounds a deployment's polling.
const redisPid = Number(/process_id:(\d+)/.exec(await client.info("server"))?.[1])
const redisCpuUs = () => {
  const fields = readFileSync(`/proc/${redisPid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100
}
const commands = client as unknown as Record<string, (...args: Array<unknown>) => Promise<unknown>>
/** Runs `calls` pipelined, 1,000 at a time, and answers Redis's CPU per call in µs. */
const redisCpuPerCall = async (
  calls: ReadonlyArray<(pipeline: Record<string, (...args: Array<unknown>) => void>) => void>
) => {
  const started = redisCpuUs()
  for (let done = 0; done < calls.length; done += 1_000) {
    const pipeline = client.pipeline()
    for (const call of calls.slice(done, done + 1_000))
      call(pipeline as unknown as Record<string, (...args: Array<unknown>) => void>)
    const replies = await pipeline.exec()
    const failed = replies?.find(([error]) => error !== null)
    if (failed !== undefined) throw failed[0]
  }
  return (redisCpuUs() - started) / calls.length
}
const redisWork = []
// Redis on another machine, or a /proc we may not read: the section is left out.
if (Number.isInteger(redisPid) && existsSync(`/proc/${redisPid}/stat`)) {
  const waiters = quick ? 2_000 : 10_000
  const polls = quick ? 2_000 : 20_000
  const cases = [
    { sale: "just opened (empty ETA sample)", maxActive: 100, admitPerMinute: null, turnovers: 0 },
    { sale: "under way (full ETA sample)", maxActive: 64, admitPerMinute: null, turnovers: 2 },
    { sale: "under way behind a full rate cap of 600/min", maxActive: 64, admitPerMinute: 600, turnovers: 10 }
  ]
  for (const sale of cases) {
    const salePolicy = new QueuePolicy({
      maxActive: sale.maxActive,
      activeSeconds: 86_400,
      admitPerMinute: sale.admitPerMinute
    })
    const concertId = crypto.randomUUID()
    const keys = queueKeys(prefix, concertId as never)
    const tokens = Array.from({ length: waiters }, () => crypto.randomUUID())
    const joinUs = await redisCpuPerCall(
      tokens.map(
        (token) => (pipeline) =>
          pipeline["boxofficeJoin"]!(
            ...scriptArguments(prefix, concertId as never, "", salePolicy),
            userKeyOf(`user-${token}`),
            tokenKeyOf(token)
          )
      )
    )
    // Active users leave and the next are admitted, as in a sale: each turnover ends maxActive of them.
    for (let turn = 0; turn < sale.turnovers; turn++) {
      const leaving = tokens.slice(turn * sale.maxActive, (turn + 1) * sale.maxActive)
      await Promise.all(
        leaving.map((token) =>
          commands["boxofficeEnd"]!(
            ...scriptArguments(prefix, concertId as never, "", salePolicy),
            memberOf(holderOf(token))
          )
        )
      )
    }
    const waiting = tokens.slice((sale.turnovers + 1) * sale.maxActive + 1_000)
    const statusUs = await redisCpuPerCall(
      Array.from(
        { length: polls },
        (_, i) => (pipeline) =>
          pipeline["boxofficeStatus"]!(
            ...scriptArguments(prefix, concertId as never, "", salePolicy),
            memberOf(holderOf(waiting[(i * 7) % waiting.length]!))
          )
      )
    )
    // Polls as a busy server sends them: the polls of one turn, 8 to a call.
    const groupedStatusUs =
      (await redisCpuPerCall(
        Array.from(
          { length: polls / 8 },
          (_, i) => (pipeline) =>
            pipeline["boxofficeStatus"]!(
              ...scriptArguments(prefix, concertId as never, "", salePolicy),
              ...Array.from({ length: 8 }, (_, k) => memberOf(holderOf(waiting[((i * 8 + k) * 7) % waiting.length]!)))
            )
        )
      )) / 8
    const sampled = Number(await client.zcard(keys[queueKeyNames.indexOf("waited")]!))
    const window = Number(await client.zcard(keys[queueKeyNames.indexOf("admissions")]!))
    const row = {
      redisSale: sale.sale,
      waiters,
      etaSample: sampled,
      rateWindow: window,
      statusRedisCpuUs: statusUs,
      groupedStatusRedisCpuUs: groupedStatusUs,
      joinRedisCpuUs: joinUs
    }
    redisWork.push(row)
    console.log(JSON.stringify(row))
    await client.del(...keys)
  }
}

const smallest = results[0]!.status.p50Us
const report = {
  date: new Date().toISOString(),
  machine: {
    cpus: (await import("node:os")).cpus().length,
    memoryGiB: Math.round((await import("node:os")).totalmem() / 2 ** 30)
  },
  samplesPerSize: samples,
  results: results.map((r) => ({ ...r, statusP50VersusSmallest: Number((r.status.p50Us / smallest).toFixed(2)) })),
  fairStartDraw: { rounds: drawRounds, results: draws },
  redisWork
}
if (!quick) {
  mkdirSync(new URL("../../../docs/benchmarks/", import.meta.url), { recursive: true })
  writeFileSync(
    new URL("../../../docs/benchmarks/redis-position.json", import.meta.url),
    JSON.stringify(report, null, 2) + "\n"
  )
}
console.log(
  JSON.stringify(
    report.results.map((r) => ({ n: r.waitingUsers, p50Us: r.status.p50Us, ratio: r.statusP50VersusSmallest }))
  )
)
await client.quit()
