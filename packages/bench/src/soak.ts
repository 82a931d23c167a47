/**
 * `pnpm --filter @boxoffice/bench soak [--minutes N] [--profile memory|postgres]`:
 * mixed load for N minutes (default 30) on one profile, sampling the server's
 * RSS and, on Postgres + Redis, Redis `used_memory` every 30 s. A bounded
 * working set shows as flat figures once every user has been through every
 * kind of call. Not part of `pnpm test`.
 *
 * The load: 500 users in a loop of join, status polls, leave and rejoin
 * (the loop that used to grow the queue without bound), holds of random
 * seats released again, a charge under each user's one reused key (a
 * replay after the first), and one hold in a thousand paid, on one concert
 * of 40 dates. Ledger entries and sales are records a store must keep, so
 * the load adds them only as fast as the seats sell.
 */
import { readFileSync } from "node:fs"
import { Redis } from "ioredis"
import { type Answer, Target } from "./LoadGenerator.ts"
import { adminKey, type Profile, startProfile } from "./Servers.ts"

const argument = (name: string) => {
  const index = process.argv.indexOf(name)
  return index < 0 ? undefined : process.argv[index + 1]
}
const minutes = Number(argument("--minutes") ?? 30)
const profile: Profile = argument("--profile") === "postgres" ? "postgres+redis ×1" : "memory"
const users = 500
const workers = 32
const sampleEverySeconds = 30
const redisUrl = process.env["BOXOFFICE_TEST_REDIS"] ?? "redis://127.0.0.1:6379"

const rssMb = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

const running = await startProfile(profile)
const target = new Target(running.urls, workers)
const redis = running.redisKeyPrefix === undefined ? null : new Redis(redisUrl)
const usedMemoryMb = async () => {
  if (redis === null) return null
  const info = await redis.info("memory")
  return Number(/used_memory:(\d+)/.exec(info)![1]) / 1024 / 1024
}

let requests = 0
let serverErrors = 0
const send = async (request: Parameters<Target["send"]>[0]): Promise<Answer> => {
  const answer = await target.send(request)
  requests++
  if (answer.status >= 500) serverErrors++
  return answer
}

try {
  const concert = (
    await send({
      method: "POST",
      path: "/admin/concerts",
      headers: { authorization: `Bearer ${adminKey}` },
      body: {
        title: "Soak",
        dates: Array.from({ length: 40 }, (_, d) => ({
          startsAt: new Date(Date.now() + (30 + d) * 86_400_000).toISOString(),
          price: 1_000
        })),
        queue: { maxActive: users, activeSeconds: 600 },
        holdSeconds: 10
      }
    })
  ).body as { concertId: string; dates: Array<{ dateId: string }> }
  const tokens: Array<string> = []
  for (let i = 0; i < users; i++)
    tokens.push(((await send({ method: "POST", path: "/users" })).body as { accessToken: string }).accessToken)

  const deadline = Date.now() + minutes * 60_000
  const oneUser = async (i: number) => {
    const auth = { authorization: `Bearer ${tokens[i]!}` }
    const joined = await send({ method: "POST", path: `/concerts/${concert.concertId}/queue`, headers: auth })
    const queueToken = (joined.body as { queueToken: string }).queueToken
    const withToken = { ...auth, "queue-token": queueToken }
    await send({ method: "GET", path: "/queue/status", headers: withToken })
    const date = concert.dates[Math.floor(Math.random() * concert.dates.length)]!
    const hold = await send({
      method: "POST",
      path: `/dates/${date.dateId}/holds`,
      headers: withToken,
      body: { seatNumbers: [1 + Math.floor(Math.random() * 50)] }
    })
    await send({
      method: "POST",
      path: "/wallet/charges",
      headers: { ...auth, "idempotency-key": `soak-${i}` },
      body: { amount: 1_000 }
    })
    if (hold.status === 201) {
      const holdId = (hold.body as { holdId: string }).holdId
      if (Math.random() < 0.001) {
        await send({ method: "POST", path: "/wallet/charges", headers: auth, body: { amount: 1_000 } })
        await send({ method: "POST", path: `/holds/${holdId}/payment`, headers: withToken })
      } else {
        await send({ method: "DELETE", path: `/holds/${holdId}`, headers: auth })
      }
    }
    await send({ method: "DELETE", path: "/queue", headers: withToken })
  }
  const work = Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let round = 0; Date.now() < deadline; round++) await oneUser((round * workers + w) % users)
    })
  )
  const started = Date.now()
  const samples: Array<{ minute: number; requests: number; rssMb: Array<number>; redisMb: number | null }> = []
  const sample = async () => {
    samples.push({
      minute: (Date.now() - started) / 60_000,
      requests,
      rssMb: running.pids.map(rssMb),
      redisMb: await usedMemoryMb()
    })
    const last = samples.at(-1)!
    console.error(
      `[soak] ${last.minute.toFixed(1)} min: ${last.requests} requests, RSS ${last.rssMb.map((m) => m.toFixed(0)).join("/")} MB` +
        (last.redisMb === null ? "" : `, Redis ${last.redisMb.toFixed(1)} MB`)
    )
  }
  await sample()
  const sampler = setInterval(() => void sample(), sampleEverySeconds * 1000)
  await work
  clearInterval(sampler)
  await sample()
  console.log(`\n### Soak: ${profile}, ${minutes} min, ${users} users, ${workers} in flight\n`)
  console.log(`| minute | requests | server RSS MB |${redis === null ? "" : " Redis used_memory MB |"}`)
  console.log(`|---|---|---|${redis === null ? "" : "---|"}`)
  for (const s of samples.filter((_, i) => i % 4 === 0 || i === samples.length - 1)) {
    console.log(
      `| ${s.minute.toFixed(0)} | ${s.requests} | ${s.rssMb.map((m) => m.toFixed(0)).join(" / ")} |` +
        (s.redisMb === null ? "" : ` ${s.redisMb.toFixed(1)} |`)
    )
  }
  console.log(`\n${requests} requests, ${serverErrors} answered 5xx`)
  if (serverErrors > 0) process.exitCode = 1
} finally {
  await target.close()
  await redis?.quit()
  await running.stop()
}
