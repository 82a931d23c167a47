/**
 * Benchmark (not a test): what each instance's copies of the lines (issue 38) cost and save, in one run, each
 * figure beside the same build with copies off (every poll a status call, as before):
 *
 * - polls: 10^5 waiters polled at 50,000 a second (every waiter every 2 s) for a few seconds, through the queue
 *   with copies and without: Redis calls per poll and Redis's CPU (its share of a core); with copies, after a
 *   first pass that answers each waiter once (measured on its own: a copy read from the keys reports each);
 * - streams: 0, 1,000 and 10,000 open event streams (each a display read a second): Redis calls a second;
 * - change to copy: while another client joins and ends entries, how long after each change (its script's own
 *   time) the copy holds it, and how stale the copy is at random moments;
 * - the copy of 10^6 waiters: its heap and how long reading it from Redis takes;
 * - Redis memory per waiting entry, the log included, at 10^5 and 10^6.
 *
 * Writes docs/benchmarks/redis-copies.json. Run after `pnpm build`, with --expose-gc for the heap figures:
 *   node --expose-gc packages/redis/scripts/bench-copies.ts [--quick]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import {
  Limits,
  QueuePolicy,
  QueueStatusForDisplay,
  QueueTokenClaims,
  type QueueTokenId,
  type UserId
} from "@boxoffice/core"
import { Effect, Exit, Scope } from "effect"
import { Redis } from "ioredis"
import { queueKeyOf, tokenKeyOf, userKeyOf } from "../dist/internal/LineKeys.js"
import { displayReads } from "../dist/internal/LineCopies.js"
import { readLine } from "../dist/internal/LineSnapshot.js"
import { lineCallsOf, lineReaderOf, makeQueue, makeQueueWithCopies, queueKeys, scriptArguments } from "../dist/Queue.js"

const quick = process.argv.includes("--quick")
const url = process.env["BOXOFFICE_TEST_REDIS"] ?? "redis://127.0.0.1:6379"
const prefix = `boxoffice:bench:copies:${process.pid}:`
const client = new Redis(url)
const policy = new QueuePolicy({ maxActive: 50, activeSeconds: 86_400, admitPerMinute: null })
const gc = (globalThis as { gc?: () => void }).gc

const redisPid = Number(/process_id:(\d+)/.exec(await client.info("server"))?.[1])
const localRedis = Number.isInteger(redisPid) && existsSync(`/proc/${redisPid}/stat`)
/** Redis's CPU so far in µs, from /proc (Redis on this machine), else from INFO cpu. */
const redisCpuUs = async () => {
  if (localRedis) {
    const fields = readFileSync(`/proc/${redisPid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100
  }
  const info = await client.info("cpu")
  const field = (name: string) => Number(info.match(new RegExp(`${name}:([0-9.]+)`))![1])
  return (field("used_cpu_sys") + field("used_cpu_user")) * 1_000_000
}
/**
 * Calls the instances made of Redis, counted as they leave each instance's client (Redis's own count includes
 * the commands its scripts run).
 */
let instanceCalls = 0
const counted = (redis: Redis) => {
  const send = redis.sendCommand.bind(redis)
  redis.sendCommand = ((...args: Parameters<Redis["sendCommand"]>) => {
    instanceCalls++
    return send(...args)
  }) as Redis["sendCommand"]
  return redis
}
const redisCalls = async () => instanceCalls
const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}
const round = (value: number, digits = 2) => Number(value.toFixed(digits))

/** The user each bench token was joined for: made from the token, so that a token alone names its holder. */
const holderOf = (token: QueueTokenId) => ({ tokenId: token, userId: `user-${token}` as UserId })

/** A line of `size` waiters, filled through the join script, pipelined; answers its concert and tokens. */
const fill = async (size: number) => {
  const concertId = crypto.randomUUID() as never
  const tokens: Array<QueueTokenId> = []
  for (let done = 0; done < size; done += 10_000) {
    const pipeline = client.pipeline()
    for (let i = done; i < Math.min(size, done + 10_000); i++) {
      const token = crypto.randomUUID() as QueueTokenId
      tokens.push(token)
      ;(pipeline as unknown as Record<string, (...args: Array<unknown>) => void>)["boxofficeJoin"]!(
        ...scriptArguments(prefix, concertId, "", policy),
        userKeyOf(holderOf(token).userId),
        tokenKeyOf(token)
      )
    }
    await pipeline.exec()
  }
  return { concertId, tokens }
}
// The join script is registered on the client by a queue made over it.
makeQueue(client, { keyPrefix: prefix })

// The defaults: the bound BOXOFFICE_LINE_STALENESS_MS suggests, and the default tick.
const copyOptions = { stalenessMs: 1_000 }
/** A queue with copies over a client of its own, as another instance would have. */
const instanceWithCopies = async () => {
  const own = counted(new Redis(url))
  const scope = await Effect.runPromise(Scope.make())
  const made = await Effect.runPromise(
    Scope.provide(scope)(makeQueueWithCopies(own, { keyPrefix: prefix }, copyOptions))
  )
  return {
    ...made,
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await own.quit()
    }
  }
}
const plainInstance = () => {
  const own = counted(new Redis(url))
  return { queue: makeQueue(own, { keyPrefix: prefix }), close: () => own.quit() }
}
type Instance = { readonly queue: ReturnType<typeof makeQueue> }
// A poll brings its token's claims; the bench reads only places, so made-up ones do.
const poll = (instance: Instance, concertId: never, token: QueueTokenId) => {
  const claims = QueueTokenClaims.trusted({ ...holderOf(token), concertId, issuedAtMs: 0 })
  return Effect.provideService(instance.queue.status(concertId, claims, policy), QueueStatusForDisplay, claims)
}

/**
 * Polls at `perSecond` for `seconds` (or, with `each`, every token once, in order), in 10 ms slices; answers the
 * polls made and Redis's share.
 */
const pollAt = async (
  instance: Instance,
  concertId: never,
  tokens: ReadonlyArray<QueueTokenId>,
  perSecond: number,
  seconds: number,
  each = false
) => {
  const [cpuBefore, callsBefore, startedMs] = [await redisCpuUs(), await redisCalls(), performance.now()]
  let polls = 0
  const perSlice = Math.round(perSecond / 100)
  while (each ? polls < tokens.length : performance.now() - startedMs < seconds * 1_000) {
    const sliceStartedMs = performance.now()
    const slice = []
    for (let i = 0; i < perSlice; i++) {
      const token = each ? tokens[(polls + i) % tokens.length]! : tokens[Math.floor(Math.random() * tokens.length)]!
      slice.push(Effect.runPromise(poll(instance, concertId, token)))
    }
    await Promise.all(slice)
    polls += perSlice
    const leftMs = 10 - (performance.now() - sliceStartedMs)
    if (leftMs > 0) await new Promise((resolve) => setTimeout(resolve, leftMs))
  }
  const wallS = (performance.now() - startedMs) / 1_000
  const [cpuAfter, callsAfter] = [await redisCpuUs(), await redisCalls()]
  return {
    polls,
    pollsPerSecond: round(polls / wallS, 0),
    redisCallsPerPoll: round((callsAfter - callsBefore) / polls, 4),
    redisCpuShareOfCore: round((cpuAfter - cpuBefore) / 1_000_000 / wallS, 3),
    redisCpuUsPerPoll: round((cpuAfter - cpuBefore) / polls, 2)
  }
}

/** Waits until the copies of `concertId` answer; answers how long it took. */
const untilAnswering = async (
  copies: { followed: () => ReadonlyArray<{ concertId: unknown; answering: boolean }> },
  concertId: never
) => {
  const started = performance.now()
  while (!copies.followed().some((f) => f.concertId === concertId && f.answering)) {
    if (performance.now() - started > 60_000) throw new Error("the copy never answered")
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return performance.now() - started
}

const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
  copyOptions
}

// Polls: 10^5 waiters, each polling every 2 s.
{
  const waiters = quick ? 10_000 : 100_000
  const seconds = quick ? 2 : 6
  const perSecond = waiters / 2
  const { concertId, tokens } = await fill(waiters)
  const withCopies = await instanceWithCopies()
  await Effect.runPromise(poll(withCopies, concertId, tokens.at(-1)!))
  const followMs = await untilAnswering(withCopies.copies, concertId)
  // A copy read from the keys knows when the store last saw each waiter from the steps' bitmaps: its first answer
  // to each is measured on its own, then the steady state.
  const firstAnswers = await pollAt(withCopies, concertId, tokens, perSecond, 0, true)
  const fromCopyBefore = displayReads.fromCopy
  const copiesOn = await pollAt(withCopies, concertId, tokens, perSecond, seconds)
  const answeredFromCopy = round((displayReads.fromCopy - fromCopyBefore) / copiesOn.polls, 4)
  await withCopies.close()
  const plain = plainInstance()
  const copiesOff = await pollAt(plain, concertId, tokens, perSecond, seconds)
  await plain.close()
  // The seen reports of the steady state, each waiter once a minute, 1,000 to a call and 10 calls at once, as
  // the copies send them: a step later, so that each moves the waiter's bit.
  const calls = lineCallsOf(client, prefix)
  const members = tokens.map((token) => tokenKeyOf(token) + userKeyOf(holderOf(token).userId))
  const reportAtMs = String(Date.now() + Limits.sightingStepSeconds * 1000)
  const cpuBeforeReports = await redisCpuUs()
  for (let from = 0; from < members.length; from += 10_000) {
    await Promise.all(
      Array.from({ length: 10 }, (_, k) =>
        calls.seen(concertId, reportAtMs, policy, members.slice(from + k * 1_000, from + (k + 1) * 1_000))
      )
    )
  }
  const seenReportRedisCpuUsPerWaiter = round((await redisCpuUs()) - cpuBeforeReports, 0) / members.length
  report["polls"] = {
    waiters,
    targetPollsPerSecond: perSecond,
    seconds,
    followMs: round(followMs, 0),
    firstAnswers,
    copiesOn: { ...copiesOn, answeredFromCopy },
    copiesOff,
    seenReportRedisCpuUsPerWaiter: round(seenReportRedisCpuUsPerWaiter, 2)
  }
  console.log(JSON.stringify({ polls: report["polls"] }))
  await client.del(...queueKeys(prefix, concertId))
}

// Streams: each open stream is a display read a second (Booking.queueEvents); 0, 1,000 and 10,000 of them.
{
  const { concertId, tokens } = await fill(quick ? 2_000 : 20_000)
  const rows = []
  for (const copies of [true, false]) {
    const instance = copies ? await instanceWithCopies() : plainInstance()
    if ("copies" in instance) {
      await Effect.runPromise(poll(instance, concertId, tokens.at(-1)!))
      await untilAnswering(instance.copies, concertId)
      // Each waiter's first answer from a copy read from the keys is reported at once: done before measuring.
      await pollAt(instance, concertId, tokens, 10_000, 0, true)
    }
    for (const streams of quick ? [0, 1_000] : [0, 1_000, 10_000]) {
      const seconds = quick ? 2 : 5
      const [callsBefore, startedMs] = [await redisCalls(), performance.now()]
      let running = true
      const loops = Array.from({ length: streams }, async (_, i) => {
        // Spread over the second, as streams opened at different times are.
        await new Promise((resolve) => setTimeout(resolve, (i * 1_000) / streams))
        while (running) {
          // Waiters' streams: an admitted user's poll decides and is the store's, with copies or without.
          await Effect.runPromise(
            poll(instance, concertId, tokens[policy.maxActive + (i % (tokens.length - policy.maxActive))]!)
          )
          await new Promise((resolve) => setTimeout(resolve, 1_000))
        }
      })
      await new Promise((resolve) => setTimeout(resolve, seconds * 1_000))
      running = false
      const wallS = (performance.now() - startedMs) / 1_000
      rows.push({ copies, streams, redisCallsPerSecond: round(((await redisCalls()) - callsBefore) / wallS, 1) })
      await Promise.all(loops)
    }
    await instance.close()
  }
  report["streams"] = rows
  console.log(JSON.stringify({ streams: rows }))
  await client.del(...queueKeys(prefix, concertId))
}

// Change to copy: another client joins and ends entries; when does the copy hold each change, and how stale is it?
{
  const { concertId, tokens } = await fill(10_000)
  const follower = await instanceWithCopies()
  await Effect.runPromise(poll(follower, concertId, tokens.at(-1)!))
  await untilAnswering(follower.copies, concertId)
  const driver = plainInstance()
  const heldAtMs = new Map<number, number>()
  const stalenessMs: Array<number> = []
  let watching = true
  // Notes when the copy first holds each counter, every millisecond or so.
  const watch = (async () => {
    let sample = 0
    while (watching) {
      const line = follower.copies.followed().find((f) => f.concertId === concertId)
      const counter = line?.copy?.counter
      if (counter !== undefined && !heldAtMs.has(counter)) heldAtMs.set(counter, Date.now())
      if (line !== undefined && sample++ % 10 === 0) stalenessMs.push(line.staleMs)
      await new Promise((resolve) => setImmediate(resolve))
    }
  })()
  const seconds = quick ? 2 : 8
  const startedMs = performance.now()
  // Only the driver's changes count: the line's filling happened before the copy was read.
  const drivingFromMs = Date.now()
  let step = 0
  while (performance.now() - startedMs < seconds * 1_000) {
    if (step++ % 2 === 0) {
      await Effect.runPromise(driver.queue.end(concertId, holderOf(tokens[step]!), policy))
    } else {
      await Effect.runPromise(
        driver.queue.join({
          tokenId: crypto.randomUUID() as QueueTokenId,
          concertId,
          userId: crypto.randomUUID() as never,
          policy
        })
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  await new Promise((resolve) => setTimeout(resolve, 500))
  watching = false
  await watch
  const logKey = queueKeys(prefix, concertId).find((key) => key.endsWith(":log"))!
  const raw = (await client.xrange(logKey, "-", "+")) as Array<[string, Array<string>]>
  const lagsMs: Array<number> = []
  for (const [, fields] of raw) {
    const [counter, atMs] = fields[1]!.split(";")[0]!.split(",").map(Number)
    // A counter the watcher never saw was overtaken within one sample: held no later than the next one seen.
    let held: number | undefined
    for (let c = counter!; held === undefined && c <= counter! + 50; c++) held = heldAtMs.get(c)
    if (held !== undefined && atMs! >= drivingFromMs) lagsMs.push(held - atMs!)
  }
  report["changeToCopy"] = {
    changes: lagsMs.length,
    p50Ms: percentile(lagsMs, 0.5),
    p99Ms: percentile(lagsMs, 0.99),
    maxMs: lagsMs.reduce((a, b) => Math.max(a, b), 0)
  }
  report["staleness"] = {
    samples: stalenessMs.length,
    p50Ms: percentile(stalenessMs, 0.5),
    p90Ms: percentile(stalenessMs, 0.9),
    p99Ms: percentile(stalenessMs, 0.99),
    maxMs: stalenessMs.reduce((a, b) => Math.max(a, b), 0)
  }
  console.log(JSON.stringify({ changeToCopy: report["changeToCopy"], staleness: report["staleness"] }))
  await follower.close()
  await driver.close()
  await client.del(...queueKeys(prefix, concertId))
}

// The copy of a long line, and Redis's memory per waiting entry with the log, at 10^5 and 10^6.
{
  const rows = []
  for (const size of quick ? [10_000] : [100_000, 1_000_000]) {
    const usedBefore = Number(/used_memory:(\d+)/.exec(await client.info("memory"))![1])
    const { concertId, tokens } = await fill(size)
    // A line under way keeps a bitmap for each step of the grace, each as long as the line: the last waiter,
    // sighted in each of the grace's steps, makes every one span it.
    const last = tokens.at(-1)!
    const stepMs = Limits.sightingStepSeconds * 1000
    for (let step = 1; step <= Limits.waitingGraceSeconds / Limits.sightingStepSeconds; step++) {
      await (client as unknown as Record<string, (...args: Array<unknown>) => Promise<number>>)["boxofficeSeen"]!(
        ...scriptArguments(prefix, concertId, String(Date.now() + step * stepMs), policy),
        tokenKeyOf(last) + userKeyOf(holderOf(last).userId)
      )
    }
    const bitmaps = (await client.zrange(queueKeyOf(prefix, concertId, "steps"), 0, -1)).map(
      (step) => `${queueKeyOf(prefix, concertId, "seen")}:${step.split(",")[0]}`
    )
    const usedAfter = Number(/used_memory:(\d+)/.exec(await client.info("memory"))![1])
    const keys = queueKeys(prefix, concertId)
    const byKey = await Promise.all(keys.map((key) => client.call("MEMORY", "USAGE", key, "SAMPLES", "0")))
    const logBytes = Number(byKey[keys.findIndex((key) => key.endsWith(":log"))] ?? 0)
    gc?.()
    // The copy's tables are typed arrays, outside the JavaScript heap: both are counted.
    const heldBytes = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
    const heapBefore = heldBytes()
    const startedMs = performance.now()
    const copy = await readLine(lineReaderOf(client), keys[0]!)
    const readMs = performance.now() - startedMs
    gc?.()
    const heapBytes = heldBytes() - heapBefore
    rows.push({
      waiting: copy.sizes.waiting,
      redisBytesPerWaiter: round((usedAfter - usedBefore) / size, 0),
      keysBytesPerWaiter: round(byKey.reduce<number>((sum, bytes) => sum + Number(bytes ?? 0), 0) / size, 0),
      stepBitmaps: bitmaps.length,
      logBytesPerWaiter: round(logBytes / size, 1),
      copyReadMs: round(readMs, 0),
      copyHeapMiB: gc === undefined ? null : round(heapBytes / 2 ** 20, 1)
    })
    console.log(JSON.stringify(rows.at(-1)))
    await client.del(...keys, ...bitmaps)
  }
  report["longLine"] = rows
}

if (!quick) {
  mkdirSync(new URL("../../../docs/benchmarks/", import.meta.url), { recursive: true })
  writeFileSync(
    new URL("../../../docs/benchmarks/redis-copies.json", import.meta.url),
    JSON.stringify(report, null, 2) + "\n"
  )
}
await client.quit()
