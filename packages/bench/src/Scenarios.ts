/**
 * The booking scenarios. Each sets up what it needs (not measured), runs its
 * measured phase through the load generator, and checks its outcome exactly.
 */
import { type Answer, histogram, load, type LoadResult, summarize, type Target } from "./LoadGenerator.ts"
import { adminKey } from "./Servers.ts"

export interface Sizes {
  readonly joinStorm: number
  readonly polls: number
  readonly hotSeatUsers: number
  readonly bookings: number
  readonly concurrency: number
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

/** Registers users with the given concurrency (set-up, not measured). */
const registerUsers = async (target: Target, count: number, concurrency: number) => {
  const tokens: Array<string> = new Array(count)
  await load({
    name: "  set-up: users",
    target,
    count,
    concurrency,
    request: () => ({ method: "POST", path: "/users" }),
    onAnswer: (answer, i) => (tokens[i] = answer.body.accessToken)
  })
  return tokens
}

const inFuture = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()

/** The ceiling: the bare server's GET /, with the same generator and settings. */
export const ceiling = (target: Target, sizes: Sizes) =>
  load({ name: "ceiling", target, count: sizes.joinStorm, concurrency: sizes.concurrency, request: () => ({ method: "GET", path: "/" }), ok: (a) => a.status === 200 })

/** 1 and 2: a join storm, then every waiter polls. */
export const joinStormAndPolling = async (target: Target, sizes: Sizes): Promise<[ScenarioResult, ScenarioResult]> => {
  const concert = await createConcert(target, { title: "Join storm", dates: [{ startsAt: inFuture(30), price: 1_000 }], queue: { maxActive: 100 } })
  const tokens = await registerUsers(target, sizes.joinStorm, sizes.concurrency)
  const queueTokens: Array<string> = new Array(sizes.joinStorm)
  const positions: Array<number | null> = new Array(sizes.joinStorm)
  const join = await load({
    name: "join storm",
    target,
    count: sizes.joinStorm,
    concurrency: sizes.concurrency,
    request: (i) => ({ method: "POST", path: `/concerts/${concert.concertId}/queue`, headers: bearer(tokens[i]!) }),
    ok: (a) => a.status === 201,
    onAnswer: (a, i) => {
      queueTokens[i] = a.body?.queueToken
      positions[i] = a.body?.position ?? null
    }
  })
  const waiting = positions.filter((p) => p !== null).map(Number).sort((a, b) => a - b)
  expect(join.errors === 0, `${join.errors} joins failed`)
  expect(waiting.length === sizes.joinStorm - 100 && waiting.every((p, i) => p === i + 1), "positions are not exactly 1..N-100")
  const poll = await load({
    name: "status polling",
    target,
    count: sizes.polls,
    concurrency: sizes.concurrency,
    request: (i) => ({ method: "GET", path: "/queue/status", headers: { ...bearer(tokens[i % sizes.joinStorm]!), "queue-token": queueTokens[i % sizes.joinStorm]! } }),
    ok: (a) => a.status === 200
  })
  expect(poll.errors === 0, `${poll.errors} polls failed`)
  return [
    { ...join, outcome: `${sizes.joinStorm} joined; 100 admitted, the rest at positions exactly 1..${sizes.joinStorm - 100}` },
    { ...poll, outcome: `${sizes.polls} status answers, all 200` }
  ]
}

/** 3: N admitted users race for the 50 seats of one date. */
export const hotSeatStorm = async (target: Target, sizes: Sizes): Promise<ScenarioResult> => {
  const n = sizes.hotSeatUsers
  const concert = await createConcert(target, { title: "Hot seats", dates: [{ startsAt: inFuture(30), price: 10_000 }], queue: { maxActive: n + 10 } })
  const dateId = concert.dates[0]!.dateId
  const tokens = await registerUsers(target, n, sizes.concurrency)
  const queueTokens: Array<string> = new Array(n)
  await load({
    name: "  set-up: joins",
    target,
    count: n,
    concurrency: sizes.concurrency,
    request: (i) => ({ method: "POST", path: `/concerts/${concert.concertId}/queue`, headers: bearer(tokens[i]!) }),
    onAnswer: (a, i) => (queueTokens[i] = a.body.queueToken)
  })
  let granted = 0
  let refused = 0
  const storm = await load({
    name: "hot-seat storm",
    target,
    count: n,
    concurrency: sizes.concurrency,
    request: (i) => ({
      method: "POST",
      path: `/dates/${dateId}/holds`,
      headers: { ...bearer(tokens[i]!), "queue-token": queueTokens[i]! },
      body: { seatNumbers: [(i % 50) + 1] }
    }),
    ok: (a) => a.status === 201 || (a.status === 409 && a.body.code === "seat-unavailable"),
    onAnswer: (a) => (a.status === 201 ? granted++ : refused++)
  })
  expect(storm.errors === 0, `${storm.errors} unexpected answers`)
  expect(granted === 50, `${granted} holds were granted, not 50`)
  return { ...storm, errors: 0, outcome: `exactly ${granted} holds granted, ${refused} seat-unavailable` }
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
  const tokens = await registerUsers(target, n, sizes.concurrency)
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
  await Promise.all(Array.from({ length: sizes.concurrency }, async () => {
    while (next < n) {
      const i = next++
      const auth = bearer(tokens[i]!)
      const ticket = await timed("join", () => target.send({ method: "POST", path: `/concerts/${concert.concertId}/queue`, headers: auth }, i), 201)
      const withToken = { ...auth, "queue-token": ticket.queueToken }
      const hold = await timed("hold", () =>
        target.send({ method: "POST", path: `/dates/${concert.dates[Math.floor(i / 50)]!.dateId}/holds`, headers: withToken, body: { seatNumbers: [(i % 50) + 1] } }, i + 1), 201)
      await timed("charge", () => target.send({ method: "POST", path: "/wallet/charges", headers: { ...auth, "idempotency-key": `c-${i}` }, body: { amount: 10_000 } }, i), 200)
      const receipt = await timed("pay", () =>
        target.send({ method: "POST", path: `/holds/${hold.holdId}/payment`, headers: { ...withToken, "idempotency-key": `p-${i}` } }, i + 1), 201)
      expect(receipt.balance === 0, `user ${i} has ${receipt.balance} left, not 0`)
      paid++
    }
  }))
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
