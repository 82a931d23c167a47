/**
 * Proves sold out across two server processes sharing one Postgres and one
 * Redis: the last seat sold on one instance while 1,000 users wait on both
 * turns every waiter's next poll into `sold-out`, ends every event stream
 * with it, refuses new joins (409) and admits nobody; and a seat still held
 * after the last other sale keeps the sale open, before its hold expires
 * and after.
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, readyServer, type ServerProcess, spawnServer, stopServer } from "./support/ServerProcess.ts"
import { createStores, type Stores } from "./support/Stores.ts"
import { adminKey, type Answer, call, isProblem, newUser } from "./support/TestServer.ts"

let stores: Stores
let servers: Array<ServerProcess> = []

beforeAll(async () => {
  stores = await createStores()
  const secret = "sold-out-test-secret-of-32-bytes-at-least"
  // Both start at once: the migrator's advisory lock lets one migrate while the other waits.
  servers = await Promise.all(
    [await freePort(), await freePort()].map((port) => readyServer(spawnServer(stores, port, secret)))
  )
}, 60_000)

afterAll(async () => {
  await Promise.all(servers.map(stopServer))
  await stores?.drop()
}, 30_000)

const on = (i: number) => servers[i % 2]!.url

/** Runs `task` over `items`, at most `concurrency` at a time, answers in the items' order. */
const inBatches = async <A, B>(
  items: ReadonlyArray<A>,
  concurrency: number,
  task: (item: A, i: number) => Promise<B>
) => {
  const answers: Array<B> = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++
        answers[i] = await task(items[i]!, i)
      }
    })
  )
  return answers
}

const concertOf = async (body: Record<string, unknown>) => {
  const created = await call(on(0), "POST", "/admin/concerts", { token: adminKey, body })
  assert.strictEqual(created.status, 201, JSON.stringify(created.body))
  return { concertId: created.body.concertId as string, dateId: created.body.dates[0].dateId as string }
}

/** A user with 10,000 KRW, joined through instance `via`. */
const joiner = async (concertId: string, via: number) => {
  const user = await newUser(on(via))
  await call(on(via), "POST", "/wallet/charges", { token: user.accessToken, body: { amount: 10_000 } })
  const joined = await call(on(via), "POST", `/concerts/${concertId}/queue`, { token: user.accessToken })
  return { ...user, via, joined, queueToken: joined.body.queueToken as string }
}

const holdAndPay = async (user: { accessToken: string; queueToken: string }, dateId: string, seats: Array<number>) => {
  const held = await call(on(0), "POST", `/dates/${dateId}/holds`, {
    token: user.accessToken,
    queueToken: user.queueToken,
    body: { seatNumbers: seats }
  })
  assert.strictEqual(held.status, 201, JSON.stringify(held.body))
  const paid = await call(on(1), "POST", `/holds/${held.body.holdId}/payment`, {
    token: user.accessToken,
    queueToken: user.queueToken
  })
  assert.strictEqual(paid.status, 201, JSON.stringify(paid.body))
}

const listed = async (via: number, concertId: string) =>
  ((await call(on(via), "GET", "/concerts")).body as Array<{ concertId: string; soldOut: boolean }>).find(
    (concert) => concert.concertId === concertId
  )!.soldOut

/** The status events of an SSE stream as they come (heartbeats skipped); `rest` reads on until the stream ends. */
const statusEvents = (response: Response) => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  const next = async (): Promise<Record<string, unknown> | null> => {
    while (!buffer.includes("\n\n")) {
      const { value, done } = await reader.read()
      if (done) return null
      buffer += decoder.decode(value, { stream: true })
    }
    const [frame, ...more] = buffer.split("\n\n")
    buffer = more.join("\n\n")
    const data = frame!
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trim())
      .join("")
    const event = JSON.parse(data) as Record<string, unknown>
    return event["status"] === undefined ? next() : event
  }
  const rest = async () => {
    const events: Array<Record<string, unknown>> = []
    for (let event = await next(); event !== null; event = await next()) events.push(event)
    return events
  }
  return { next, rest }
}

describe("sold out across two instances", () => {
  it("the last seat sold while 1,000 wait: every next poll says sold-out, streams end with it, joins get 409, nobody is admitted", async () => {
    const { concertId, dateId } = await concertOf({
      title: "Sold out",
      dates: [{ startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), price: 1_000, seatCount: 2 }],
      queue: { maxActive: 1 }
    })
    const buyer = await joiner(concertId, 0)
    assert.strictEqual(buyer.joined.body.status, "active")
    const waiters = await inBatches(Array.from({ length: 1_000 }), 32, async (_, i) => {
      const user = await newUser(on(i))
      const joined = await call(on(i), "POST", `/concerts/${concertId}/queue`, { token: user.accessToken })
      assert.strictEqual(joined.status, 201)
      return { ...user, queueToken: joined.body.queueToken as string }
    })
    const before = await call(on(1), "GET", `/admin/concerts/${concertId}`, { token: adminKey })
    assert.deepStrictEqual([before.body.queue.active, before.body.queue.waiting], [1, 1_000])
    assert.isFalse(await listed(0, concertId))

    // Twenty waiters listen on either instance; each stream first says where they stand.
    const listeners = waiters.slice(0, 20)
    const streams = await Promise.all(
      listeners.map(async (user, i) => {
        const response = await fetch(`${on(i)}/queue/events?token=${encodeURIComponent(user.queueToken)}`)
        assert.strictEqual(response.status, 200)
        const events = statusEvents(response)
        assert.strictEqual((await events.next())?.["status"], "waiting")
        return events
      })
    )
    const heard = Promise.all(streams.map((events) => events.rest()))

    await holdAndPay(buyer, dateId, [1, 2])

    // Every waiter's next poll, through either instance, says sold-out, with no place.
    const polls = await inBatches(waiters, 32, (user, i) =>
      call(on(i + 1), "GET", "/queue/status", { token: user.accessToken, queueToken: user.queueToken })
    )
    const statuses = new Map<string, number>()
    for (const poll of polls) {
      const key = `${poll.status} ${poll.body.status} ${poll.body.position}`
      statuses.set(key, (statuses.get(key) ?? 0) + 1)
    }
    assert.deepStrictEqual([...statuses], [["200 sold-out null", 1_000]])

    // Every stream sent sold-out as its last event, and ended.
    const events = await heard
    for (const stream of events) {
      assert.deepStrictEqual(stream.at(-1), {
        status: "sold-out",
        position: null,
        etaSeconds: null,
        activeUntil: null,
        opensAt: null
      })
    }

    // New joins and a waiter's join again are refused on both instances, and make no entry.
    const refused: Array<Answer> = []
    for (let i = 0; i < 4; i++) {
      const user = await newUser(on(i))
      refused.push(await call(on(i), "POST", `/concerts/${concertId}/queue`, { token: user.accessToken }))
    }
    refused.push(
      await call(on(0), "POST", `/concerts/${concertId}/queue`, { token: waiters[500]!.accessToken }),
      await call(on(1), "POST", `/concerts/${concertId}/queue`, { token: buyer.accessToken })
    )
    assert.isTrue(
      refused.every((answer) => isProblem(answer, 409, "sold-out")),
      JSON.stringify(refused.map((answer) => answer.body))
    )

    // Nobody was admitted after the buyer, and nobody is: the queue's numbers agree on both instances.
    for (const via of [0, 1]) {
      const report = await call(on(via), "GET", `/admin/concerts/${concertId}`, { token: adminKey })
      assert.deepStrictEqual(
        [report.body.queue.pending, report.body.queue.waiting, report.body.queue.active],
        [0, 1_000, 0]
      )
      // The buyer's admission, unless it is more than a minute old by now.
      assert.isAtMost(report.body.queue.admittedLastMinute, 1)
      assert.deepStrictEqual(
        report.body.dates.map((date: { sold: number; held: number; available: number }) => [
          date.sold,
          date.held,
          date.available
        ]),
        [[2, 0, 0]]
      )
      assert.isTrue(await listed(via, concertId))
    }
  }, 180_000)

  it("a hold that expires after the last other sale keeps the concert open, before and after its expiry", async () => {
    const { concertId, dateId } = await concertOf({
      title: "Held to the end",
      dates: [{ startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), price: 1_000, seatCount: 2 }],
      queue: { maxActive: 2 },
      holdSeconds: 10
    })
    const buyer = await joiner(concertId, 0)
    const holder = await joiner(concertId, 1)
    const waiter = await joiner(concertId, 0)
    assert.deepStrictEqual(
      [buyer.joined.body.status, holder.joined.body.status, waiter.joined.body.status],
      ["active", "active", "waiting"]
    )
    const held = await call(on(1), "POST", `/dates/${dateId}/holds`, {
      token: holder.accessToken,
      queueToken: holder.queueToken,
      body: { seatNumbers: [2] }
    })
    assert.strictEqual(held.status, 201)
    await holdAndPay(buyer, dateId, [1])

    // Seat 2 is held, not sold: the buyer's slot went to the waiter, and the sale stays open.
    const admitted = await call(on(1), "GET", "/queue/status", {
      token: waiter.accessToken,
      queueToken: waiter.queueToken
    })
    assert.strictEqual(admitted.body.status, "active")
    assert.isFalse(await listed(1, concertId))
    const late = await joiner(concertId, 1)
    assert.deepStrictEqual([late.joined.status, late.joined.body.status], [201, "waiting"])

    // Once the hold has expired, seat 2 is available: still not sold out, and joins still go on.
    await new Promise((resolve) => setTimeout(resolve, 10_500))
    const seats = await call(on(0), "GET", `/dates/${dateId}/seats`, {
      token: waiter.accessToken,
      queueToken: waiter.queueToken
    })
    assert.deepStrictEqual(
      seats.body.map((seat: { seatNumber: number; status: string }) => [seat.seatNumber, seat.status]),
      [
        [1, "sold"],
        [2, "available"]
      ]
    )
    assert.isFalse(await listed(0, concertId))
    const later = await joiner(concertId, 0)
    assert.deepStrictEqual([later.joined.status, later.joined.body.status], [201, "waiting"])
    const poll = await call(on(0), "GET", "/queue/status", { token: late.accessToken, queueToken: late.queueToken })
    assert.deepStrictEqual([poll.body.status, poll.body.position], ["waiting", 1])

    // The waiter buys it: now the sale is over for those still in line.
    await holdAndPay(waiter, dateId, [2])
    const after = await call(on(1), "GET", "/queue/status", { token: late.accessToken, queueToken: late.queueToken })
    assert.deepStrictEqual([after.body.status, after.body.position], ["sold-out", null])
    assert.isTrue(await listed(1, concertId))
  }, 60_000)
})
