/**
 * The booking scenarios. Each sets up what it needs (not measured), runs its
 * measured phase through the load generator, and checks its outcome exactly.
 */
import { Identity } from "@boxoffice/core"
import { Effect, Redacted } from "effect"
import { type Answer, histogram, load, type LoadResult, type Request, summarize, type Target } from "./LoadGenerator.ts"
import { adminKey, secret } from "./Servers.ts"
import { wrk, type WrkResult } from "./Wrk.ts"

export interface Sizes {
  /** Users in the join storm; each joins once. */
  readonly joinStorm: number
  /** Seconds of status polling by the join storm's users. */
  readonly pollSeconds: number
  readonly hotSeatUsers: number
  readonly bookings: number
  /** In-flight requests of the per-user booking flow (undici). */
  readonly concurrency: number
  /** wrk's keep-alive connections in the throughput scenarios. */
  readonly connections: number
  /**
   * Users in the warm-up run before each storm: the same requests on a concert
   * (or date) of their own, not measured, so that the storm measures a server
   * whose JIT has compiled the route, as a server that was up before a sale is.
   * Reference servers get `warmUpSeconds` of the same requests.
   */
  readonly warmUpUsers: number
  readonly warmUpSeconds: number
}

export interface ScenarioResult extends LoadResult {
  /** What the outcome check found; a benchmark with a wrong outcome fails. */
  readonly outcome: string
}

export interface BookingResult {
  readonly name: string
  readonly bookings: number
  readonly paidBookingsPerSecond: number
  readonly durationMs: number
  readonly stepsMs: Record<string, { p50: number; p95: number; p99: number; max: number }>
  readonly outcome: string
}

const expect = (condition: boolean, message: string) => {
  if (!condition) throw new Error(`outcome check failed: ${message}`)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const createConcert = async (target: Target, body: Record<string, unknown>) => {
  const answer = await target.send({ method: "POST", path: "/admin/concerts", headers: bearer(adminKey), body })
  expect(answer.status === 201, `concert not created: ${JSON.stringify(answer.body)}`)
  return answer.body as { concertId: string; dates: Array<{ dateId: string }> }
}

/**
 * Access tokens signed here with the servers' secret, as `POST /users` would
 * sign them: a storm of tens of thousands of users is set up in milliseconds.
 */
const mintUsers = (count: number): Promise<Array<string>> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const identity = yield* Identity
      const tokens: Array<string> = new Array(count)
      const register = yield* Effect.fromOption(identity.register)
      for (let i = 0; i < count; i++) tokens[i] = Redacted.value((yield* register).accessToken)
      return tokens
    }).pipe(Effect.provide(Identity.layerHmac(Redacted.make(secret))))
  )

/** Joins every user (set-up, not measured), answering each queue token and position. */
const joinAll = async (target: Target, concertId: string, tokens: ReadonlyArray<string>, concurrency: number) => {
  const queueTokens: Array<string> = new Array(tokens.length)
  const positions: Array<number | null> = new Array(tokens.length)
  const joined = await load({
    name: "  set-up: joins",
    target,
    count: tokens.length,
    concurrency,
    request: (i) => ({ method: "POST", path: `/concerts/${concertId}/queue`, headers: bearer(tokens[i]!) }),
    ok: (a) => a.status === 200 || a.status === 201,
    onAnswer: (a, i) => {
      queueTokens[i] = a.body.queueToken
      positions[i] = a.body.position ?? null
    }
  })
  expect(joined.errors === 0, `${joined.errors} joins failed`)
  return { queueTokens, positions }
}

const inFuture = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()

/** Exactly these answers, and nothing else: `{ "201": 50, "409 seat-unavailable": 950 }`. */
const expectStatuses = (result: WrkResult, expected: Record<string, number>) => {
  const got = Object.fromEntries(Object.entries(result.statuses).sort())
  const want = Object.fromEntries(Object.entries(expected).sort())
  expect(
    JSON.stringify(got) === JSON.stringify(want) && result.errors === 0,
    `${result.name} answered ${JSON.stringify(got)} with ${result.errors} socket errors, not ${JSON.stringify(want)}`
  )
}

/** The ceiling and the floor: GET on a reference server, with the same generator and settings. */
export const reference = async (
  name: string,
  url: string,
  request: Request,
  sizes: Sizes,
  serverPids: ReadonlyArray<number> = []
): Promise<ScenarioResult> => {
  await wrk({
    name: `${name} (warm-up)`,
    url,
    requests: [request],
    connections: sizes.connections,
    durationSeconds: sizes.warmUpSeconds
  })
  const result = await wrk({
    name,
    url,
    requests: [request],
    connections: sizes.connections,
    durationSeconds: sizes.pollSeconds,
    serverPids
  })
  expect(
    result.requests > 0 && Object.keys(result.statuses).join() === "200",
    `${name} answered ${JSON.stringify(result.statuses)}`
  )
  return { ...result, outcome: `${result.requests} answers, all 200` }
}

/** `n` fresh users join a concert of their own, each once, through wrk; every answer must be 201. */
const joinStorm = async (target: Target, sizes: Sizes, name: string, n: number) => {
  const concert = await createConcert(target, {
    title: name,
    dates: [{ startsAt: inFuture(30), price: 1_000 }],
    queue: { maxActive: 100 }
  })
  const tokens = await mintUsers(n)
  const result = await wrk({
    name,
    url: target.urls[0]!,
    requests: tokens.map((token) => ({
      method: "POST",
      path: `/concerts/${concert.concertId}/queue`,
      headers: bearer(token)
    })),
    connections: sizes.connections,
    once: true,
    serverPids: target.serverPids
  })
  expectStatuses(result, { "201": n })
  return { concert, tokens, result }
}

/** 1 and 2: a join storm (each user joins once) after a warm-up storm, then every waiter polls. */
export const joinStormAndPolling = async (target: Target, sizes: Sizes): Promise<[ScenarioResult, ScenarioResult]> => {
  const n = sizes.joinStorm
  await joinStorm(target, sizes, "join storm (warm-up)", sizes.warmUpUsers)
  const { concert, tokens, result: join } = await joinStorm(target, sizes, "join storm", n)
  // Joining again answers the same entry: the queue tokens for polling, and the positions to check.
  const { queueTokens, positions } = await joinAll(target, concert.concertId, tokens, sizes.concurrency)
  const waiting = positions
    .filter((p) => p !== null)
    .map(Number)
    .sort((a, b) => a - b)
  expect(waiting.length === n - 100 && waiting.every((p, i) => p === i + 1), "positions are not exactly 1..N-100")
  const poll = await wrk({
    name: "status polling",
    url: target.urls[0]!,
    requests: tokens.map((token, i) => ({
      method: "GET",
      path: "/queue/status",
      headers: { ...bearer(token), "queue-token": queueTokens[i]! }
    })),
    connections: sizes.connections,
    durationSeconds: sizes.pollSeconds,
    serverPids: target.serverPids
  })
  expectStatuses(poll, { "200": poll.requests })
  return [
    { ...join, outcome: `${n} joined; 100 admitted, the rest at positions exactly 1..${n - 100}` },
    { ...poll, outcome: `${poll.requests} status answers, all 200` }
  ]
}

/** `n` admitted users of a concert of their own race for the 50 seats of its date, each holding once. */
const hotSeatRace = async (target: Target, sizes: Sizes, name: string, n: number) => {
  const concert = await createConcert(target, {
    title: name,
    dates: [{ startsAt: inFuture(30), price: 10_000 }],
    queue: { maxActive: n + 10 }
  })
  const dateId = concert.dates[0]!.dateId
  const tokens = await mintUsers(n)
  const { queueTokens } = await joinAll(target, concert.concertId, tokens, sizes.concurrency)
  const storm = await wrk({
    name,
    url: target.urls[0]!,
    requests: tokens.map((token, i) => ({
      method: "POST",
      path: `/dates/${dateId}/holds`,
      headers: { ...bearer(token), "queue-token": queueTokens[i]! },
      body: { seatNumbers: [(i % 50) + 1] }
    })),
    connections: sizes.connections,
    once: true,
    serverPids: target.serverPids
  })
  expectStatuses(storm, { "201": 50, "409 seat-unavailable": n - 50 })
  return storm
}

/** 3: N admitted users race for the 50 seats of one date, each holding once, after a warm-up race. */
export const hotSeatStorm = async (target: Target, sizes: Sizes): Promise<ScenarioResult> => {
  await hotSeatRace(target, sizes, "hot-seat storm (warm-up)", sizes.warmUpUsers)
  const storm = await hotSeatRace(target, sizes, "hot-seat storm", sizes.hotSeatUsers)
  return { ...storm, outcome: `exactly 50 holds granted, ${sizes.hotSeatUsers - 50} seat-unavailable` }
}

/** 4: users go through join → hold → charge → pay across many dates. */
export const sustainedBooking = async (target: Target, sizes: Sizes): Promise<BookingResult> => {
  const n = sizes.bookings
  const dateCount = Math.ceil(n / 50)
  const concert = await createConcert(target, {
    title: "Sustained",
    dates: Array.from({ length: dateCount }, (_, d) => ({ startsAt: inFuture(30 + d), price: 10_000 })),
    queue: { maxActive: n + 10 }
  })
  const tokens = await mintUsers(n)
  const steps = { join: histogram(), hold: histogram(), charge: histogram(), pay: histogram() }
  const timed = async (step: keyof typeof steps, send: () => Promise<Answer>, expected: number) => {
    const started = process.hrtime.bigint()
    const answer = await send()
    steps[step].recordValue(Math.max(1, Number(process.hrtime.bigint() - started) / 1000))
    expect(answer.status === expected, `${step} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
    return answer.body
  }
  let next = 0
  let paid = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: sizes.concurrency }, async () => {
      while (next < n) {
        const i = next++
        const auth = bearer(tokens[i]!)
        const ticket = await timed(
          "join",
          () => target.send({ method: "POST", path: `/concerts/${concert.concertId}/queue`, headers: auth }, i),
          201
        )
        const withToken = { ...auth, "queue-token": ticket.queueToken }
        const hold = await timed(
          "hold",
          () =>
            target.send(
              {
                method: "POST",
                path: `/dates/${concert.dates[Math.floor(i / 50)]!.dateId}/holds`,
                headers: withToken,
                body: { seatNumbers: [(i % 50) + 1] }
              },
              i + 1
            ),
          201
        )
        await timed(
          "charge",
          () =>
            target.send(
              {
                method: "POST",
                path: "/wallet/charges",
                headers: { ...auth, "idempotency-key": `c-${i}` },
                body: { amount: 10_000 }
              },
              i
            ),
          200
        )
        const receipt = await timed(
          "pay",
          () =>
            target.send(
              {
                method: "POST",
                path: `/holds/${hold.holdId}/payment`,
                headers: { ...withToken, "idempotency-key": `p-${i}` }
              },
              i + 1
            ),
          201
        )
        expect(receipt.balance === 0, `user ${i} has ${receipt.balance} left, not 0`)
        paid++
      }
    })
  )
  const durationMs = performance.now() - started
  expect(paid === n, `${paid} of ${n} bookings paid`)
  return {
    name: "sustained booking",
    bookings: paid,
    durationMs,
    paidBookingsPerSecond: paid / (durationMs / 1000),
    stepsMs: Object.fromEntries(Object.entries(steps).map(([k, h]) => [k, summarize(h)])),
    outcome: `${paid} bookings paid; every wallet charged 10,000 and left at exactly 0`
  }
}

/** One burst of the metrics comparison, on one of the two servers. */
export interface MetricsBurst {
  readonly scenario: "status polling" | "join storm"
  readonly requestMetrics: boolean
  readonly requestsPerSecond: number
  readonly serverCpuUsPerRequest?: number
}

/**
 * 5: what request metrics cost over sockets. Two memory servers run at
 * once, one with `BOXOFFICE_REQUEST_METRICS` off and one on, and take short
 * bursts of polling and of fresh joins in turn, so that the machine's own
 * drift from minute to minute falls on both alike.
 */
export const metricsCostBursts = async (
  servers: { readonly off: Target; readonly on: Target },
  options: {
    readonly bursts: number
    readonly burstSeconds: number
    readonly pollers: number
    readonly joinersPerBurst: number
    readonly sizes: Sizes
  }
): Promise<ReadonlyArray<MetricsBurst>> => {
  const prepared = await Promise.all(
    [servers.off, servers.on].map(async (target) => {
      const concert = await createConcert(target, {
        title: "Metrics cost",
        dates: [{ startsAt: inFuture(30), price: 1_000 }],
        queue: { maxActive: 100 }
      })
      const tokens = await mintUsers(options.pollers)
      const { queueTokens } = await joinAll(target, concert.concertId, tokens, options.sizes.concurrency)
      const polls: Array<Request> = tokens.map((token, i) => ({
        method: "GET",
        path: "/queue/status",
        headers: { ...bearer(token), "queue-token": queueTokens[i]! }
      }))
      return { target, concert, polls }
    })
  )
  const bursts: Array<MetricsBurst> = []
  for (let burst = 0; burst < options.bursts; burst++) {
    const order = burst % 2 === 0 ? [false, true] : [true, false]
    for (const requestMetrics of order) {
      const { target, concert, polls } = prepared[requestMetrics ? 1 : 0]!
      const poll = await wrk({
        name: "status polling",
        url: target.urls[0]!,
        requests: polls,
        connections: options.sizes.connections,
        durationSeconds: options.burstSeconds,
        serverPids: target.serverPids
      })
      expectStatuses(poll, { "200": poll.requests })
      const joiners = await mintUsers(options.joinersPerBurst)
      const join = await wrk({
        name: "join storm",
        url: target.urls[0]!,
        requests: joiners.map((token) => ({
          method: "POST",
          path: `/concerts/${concert.concertId}/queue`,
          headers: bearer(token)
        })),
        connections: options.sizes.connections,
        once: true,
        serverPids: target.serverPids
      })
      expectStatuses(join, { "201": options.joinersPerBurst })
      for (const result of [poll, join]) {
        bursts.push({
          scenario: result === poll ? "status polling" : "join storm",
          requestMetrics,
          requestsPerSecond: result.requestsPerSecond,
          ...(result.serverCpuUsPerRequest === undefined ? {} : { serverCpuUsPerRequest: result.serverCpuUsPerRequest })
        })
      }
    }
  }
  return bursts
}
