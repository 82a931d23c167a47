/**
 * The polls of one turn for one queue go to Redis as one status script
 * call of at most 8 tokens, and its joins as one join script call of at
 * most 8, and each is answered exactly as a call of its own at that time:
 * after its own admission step, in the order the requests were made, and
 * never after a call of another kind made later. Redis is real; the test
 * counts the script calls the client makes.
 */
import {
  ConcertId,
  newId,
  Queue,
  type QueueEntry,
  QueuePolicy,
  type QueueTokenHolder,
  QueueTokenId,
  UserId
} from "@boxoffice/core"
import { queueKeys } from "@boxoffice/redis"
import { Effect, Option } from "effect"
import { assert, describe, it } from "vitest"
import { memberOf, userKeyOf } from "../src/internal/LineKeys.ts"
import { queueForFile } from "./support/TestRedis.ts"

const { client, prefix, runtime } = queueForFile()

const policy = new QueuePolicy({ maxActive: 2, activeSeconds: 600, admitPerMinute: null })

const keyOf = (concertId: ConcertId, name: string) =>
  queueKeys(prefix, concertId).find((key) => key.endsWith(`:${name}`))!

/** A concert's queue with `users` joined in order: the first two active, the rest waiting. */
const queueOf = (users: number) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const queue = yield* Queue
      const concertId = yield* newId(ConcertId)
      const tokens: Array<QueueTokenHolder> = []
      for (let i = 0; i < users; i++) {
        tokens.push(
          (yield* queue.join({ tokenId: yield* newId(QueueTokenId), concertId, userId: yield* newId(UserId), policy }))
            .entry
        )
      }
      return { concertId, tokens }
    })
  )

/** The script calls made while `run` runs, each as its kind and how many requests it carried. */
const scriptCallsDuring = async <A>(run: () => Promise<A>) => {
  const commands = client as unknown as Record<string, (...args: Array<unknown>) => Promise<unknown>>
  const kinds = { boxofficeStatus: ["status", 1], boxofficeJoin: ["join", 2] } as const
  const originals = Object.fromEntries(Object.keys(kinds).map((name) => [name, commands[name]!]))
  const calls: Array<string> = []
  for (const [name, [kind, argumentsEach]] of Object.entries(kinds)) {
    commands[name] = (...args) => {
      // One key and five ARGV before the requests' own.
      calls.push(`${kind} ${(args.length - 6) / argumentsEach}`)
      return originals[name]!.apply(client, args)
    }
  }
  try {
    return { result: await run(), calls }
  } finally {
    Object.assign(commands, originals)
  }
}

/** Each status call's token count while `run` runs. */
const statusCallsDuring = async <A>(run: () => Promise<A>) => {
  const { result, calls } = await scriptCallsDuring(run)
  return {
    result,
    calls: calls.filter((call) => call.startsWith("status ")).map((call) => Number(call.replace("status ", "")))
  }
}

/** The polls, all made in one turn. */
const pollTogether = (polls: ReadonlyArray<QueueTokenHolder & { readonly concertId: ConcertId }>) =>
  runtime.runPromise(
    Queue.use((queue) =>
      Effect.forEach(polls, (p) => queue.status(p.concertId, p, policy), { concurrency: "unbounded" })
    )
  )

/** The polls one after another, each a call of its own. */
const pollOneByOne = (polls: ReadonlyArray<QueueTokenHolder & { readonly concertId: ConcertId }>) =>
  runtime.runPromise(Queue.use((queue) => Effect.forEach(polls, (p) => queue.status(p.concertId, p, policy))))

describe("calls grouped per turn", () => {
  it("answers a turn's polls of one queue in one call, each as a call of its own would", async () => {
    // Two queues made alike: a and b active; c, d, e and w waiting, in that order. In each, a's place among the
    // active is lost (an evicted index), so the first poll's admission step admits c and a's poll ends a; w's
    // entry is lost, so w's token names nothing; x was never issued.
    const alike = async () => {
      const {
        concertId,
        tokens: [a, b, c, d, e, w]
      } = await queueOf(6)
      await client.zrem(keyOf(concertId, "active"), memberOf(a!))
      await client.hdel(keyOf(concertId, "entries"), userKeyOf(w!.userId))
      const x = { tokenId: Effect.runSync(newId(QueueTokenId)), userId: Effect.runSync(newId(UserId)) }
      return [d!, a!, c!, x, e!, w!, b!].map((holder) => ({ concertId, ...holder }))
    }
    const { result: together, calls } = await statusCallsDuring(async () => pollTogether(await alike()))
    assert.deepStrictEqual(calls, [7], "one call for the turn's seven polls")
    const { result: alone, calls: aloneCalls } = await statusCallsDuring(async () => pollOneByOne(await alike()))
    assert.deepStrictEqual(aloneCalls, [1, 1, 1, 1, 1, 1, 1])
    const seen = (entries: ReadonlyArray<Option.Option<QueueEntry>>) =>
      entries.map((entry) => Option.getOrNull(Option.map(entry, (e) => [e.status, e.position, e.etaSeconds])))
    assert.deepStrictEqual(seen(together), seen(alone))
    assert.deepStrictEqual(
      seen(together).map((view) => view?.slice(0, 2) ?? null),
      [["waiting", 1], ["expired", null], ["active", null], null, ["waiting", 2], null, ["active", null]]
    )
  })

  it("sends at most 8 polls per call, in the order they were made", async () => {
    const { concertId, tokens } = await queueOf(22)
    const waiting = tokens.slice(2)
    const { result, calls } = await statusCallsDuring(() =>
      pollTogether(waiting.map((holder) => ({ concertId, ...holder })))
    )
    assert.deepStrictEqual(calls, [8, 8, 4])
    assert.deepStrictEqual(
      result.map((entry) => Option.getOrThrow(entry).position),
      waiting.map((_, i) => i + 1)
    )
    assert.deepStrictEqual(
      result.map((entry) => Option.getOrThrow(entry).tokenId),
      waiting.map((holder) => holder.tokenId)
    )
  })

  it("groups by queue: two queues polled in one turn take a call each", async () => {
    const first = await queueOf(4)
    const second = await queueOf(4)
    const polls = [0, 1, 2, 3].flatMap((i) => [first, second].map((q) => ({ concertId: q.concertId, ...q.tokens[i]! })))
    const { result, calls } = await statusCallsDuring(() => pollTogether(polls))
    assert.deepStrictEqual(calls, [4, 4])
    assert.deepStrictEqual(
      result.map((entry) => Option.getOrThrow(entry).tokenId),
      polls.map((p) => p.tokenId)
    )
  })

  it("sends a turn's open polls before a later call of another kind", async () => {
    // a and b active, c waiting first in line.
    const {
      concertId,
      tokens: [a, , c]
    } = await queueOf(3)
    const [polled, ended] = await runtime.runPromise(
      Queue.use((queue) =>
        Effect.all(
          [queue.status(concertId, c!, policy), Effect.andThen(Effect.void, queue.end(concertId, a!, policy))],
          {
            concurrency: "unbounded"
          }
        )
      )
    )
    assert.strictEqual(ended, undefined)
    // The poll was made first, so Redis answered it before the end freed a's slot.
    assert.deepStrictEqual([Option.getOrThrow(polled).status, Option.getOrThrow(polled).position], ["waiting", 1])
    const after = Option.getOrThrow(await runtime.runPromise(Queue.use((queue) => queue.status(concertId, c!, policy))))
    assert.strictEqual(after.status, "active")
  })

  it("answers a turn's joins of one queue in one call each 8, in the order made, each as a call of its own would", async () => {
    // Two queues alike, ten users joining each, the fourth twice.
    const alike = () =>
      Effect.runSync(
        Effect.gen(function* () {
          const concertId = yield* newId(ConcertId)
          const users: Array<UserId> = []
          for (let i = 0; i < 10; i++) users.push(yield* newId(UserId))
          users.splice(5, 0, users[3]!)
          const requests = []
          for (const userId of users) requests.push({ tokenId: yield* newId(QueueTokenId), concertId, userId, policy })
          return requests
        })
      )
    const joinAll = (requests: ReturnType<typeof alike>, concurrency: "unbounded" | 1) =>
      runtime.runPromise(Queue.use((queue) => Effect.forEach(requests, (r) => queue.join(r), { concurrency })))
    const { result: together, calls } = await scriptCallsDuring(() => joinAll(alike(), "unbounded"))
    assert.deepStrictEqual(calls, ["join 8", "join 3"])
    const { result: alone, calls: aloneCalls } = await scriptCallsDuring(() => joinAll(alike(), 1))
    assert.deepStrictEqual(
      aloneCalls,
      Array.from({ length: 11 }, () => "join 1")
    )
    const seen = (joined: typeof together) =>
      joined.map((j) => [j.created, j.entry.status, j.entry.position, j.entry.etaSeconds])
    assert.deepStrictEqual(seen(together), seen(alone))
    // Two admitted on arrival, the rest in line in the order they joined; the second join of the fourth is its first.
    assert.deepStrictEqual(
      seen(together).map(([created, status, position]) => [created, status, position]),
      [
        [true, "active", null],
        [true, "active", null],
        [true, "waiting", 1],
        [true, "waiting", 2],
        [true, "waiting", 3],
        [false, "waiting", 2],
        [true, "waiting", 4],
        [true, "waiting", 5],
        [true, "waiting", 6],
        [true, "waiting", 7],
        [true, "waiting", 8]
      ]
    )
    assert.strictEqual(together[5]!.entry.tokenId, together[3]!.entry.tokenId)
  })

  it("a line marked sold out answers a turn's polls sold-out and refuses its joins, the active's aside", async () => {
    const { concertId, tokens } = await queueOf(6)
    await runtime.runPromise(Queue.use((queue) => queue.markSoldOut(concertId, policy)))
    const { result: polls, calls } = await scriptCallsDuring(() =>
      pollTogether(tokens.map((holder) => ({ concertId, ...holder })))
    )
    assert.deepStrictEqual(calls, ["status 6"])
    assert.deepStrictEqual(
      polls.map((entry) => Option.getOrNull(Option.map(entry, (e) => [e.status, e.position, e.etaSeconds]))),
      [
        ["active", null, null],
        ["active", null, null],
        ["sold-out", null, null],
        ["sold-out", null, null],
        ["sold-out", null, null],
        ["sold-out", null, null]
      ]
    )
    // Three newcomers and a waiter are refused in one call; the active user's join answers the entry.
    const active = Option.getOrThrow(polls[0]!)
    const users = [
      ...Effect.runSync(Effect.forEach([1, 2, 3], () => newId(UserId))),
      Option.getOrThrow(polls[3]!).userId,
      active.userId
    ]
    const { result: joins, calls: joinCalls } = await scriptCallsDuring(() =>
      runtime.runPromise(
        Queue.use((queue) =>
          Effect.forEach(
            users,
            (userId) =>
              Effect.flatMap(newId(QueueTokenId), (tokenId) =>
                Effect.result(queue.join({ tokenId, concertId, userId, policy }))
              ),
            { concurrency: "unbounded" }
          )
        )
      )
    )
    assert.deepStrictEqual(joinCalls, ["join 5"])
    assert.deepStrictEqual(
      joins.map((joined) =>
        joined._tag === "Success" ? [joined.success.created, joined.success.entry.status] : joined.failure._tag
      ),
      ["SoldOut", "SoldOut", "SoldOut", "SoldOut", [false, "active"]]
    )
  })

  it("keeps polls and joins of one turn in the order they were made", async () => {
    const {
      concertId,
      tokens: [, , c]
    } = await queueOf(3)
    const { result, calls } = await scriptCallsDuring(() =>
      runtime.runPromise(
        Queue.use((queue) =>
          Effect.gen(function* () {
            const newcomer = { tokenId: yield* newId(QueueTokenId), concertId, userId: yield* newId(UserId), policy }
            return yield* Effect.all(
              [
                queue.status(concertId, c!, policy),
                queue.status(concertId, c!, policy),
                queue.join(newcomer),
                queue.status(concertId, newcomer, policy)
              ],
              { concurrency: "unbounded" }
            )
          })
        )
      )
    )
    assert.deepStrictEqual(calls, ["status 2", "join 1", "status 1"])
    // The last poll follows the join it was made after, so it finds the newcomer in line.
    assert.deepStrictEqual(Option.getOrThrow(result[3] as Option.Option<QueueEntry>).position, 2)
  })
})
