/**
 * Redis `Queue`: exact FIFO by the order Redis received the joins, both
 * caps, and immediate slot reuse, each call one Lua script run by
 * EVALSHA; the polls of one queue made in one turn share one script call
 * (up to 8), and so do its joins, each answered as a call of its own.
 * Position is ZRANK over the waiting set: O(log N).
 *
 * @since 0.1.0
 */
import {
  type ConcertId,
  etaSeconds,
  opensAtMsOf,
  Queue,
  QueueEntry,
  type QueuePolicy,
  QueueSettings,
  QueueStats,
  type QueueTokenId,
  SoldOut,
  type Unavailable,
  type UserId
} from "@boxoffice/core"
import { Clock, DateTime, Effect, Exit, Layer, Option } from "effect"
import type { Cluster, Redis } from "ioredis"
import { makeCommandBatch } from "./internal/CommandBatch.ts"
import { type BlockingReader, type LineCopiesOptions, makeLineCopies, withLineCopies } from "./internal/LineCopies.ts"
import { memberOf, queueKeyOf, tokenIdOfKey, tokenKeyOf, userKeyOf } from "./internal/LineKeys.ts"
import { unavailableOf } from "./internal/Unreachable.ts"
import type { LineReader } from "./internal/LineSnapshot.ts"
import { makeTurnGroups } from "./internal/TurnGroups.ts"
import {
  configureScript,
  endScript,
  joinScript,
  seenScript,
  snapshotScript,
  soldOutScript,
  statsScript,
  statusScript,
  tickScript
} from "./internal/scripts.ts"

/** @category models */
export interface RedisQueueOptions {
  /** Prepended to every key, so several deployments or test runs share one Redis. No braces. */
  readonly keyPrefix: string
  /**
   * Where scripts take the time from: Redis `TIME` (the default, the spec (docs/spec.md, Time)),
   * or Effect's `Clock`, for tests that move time by hand.
   */
  readonly clock?: "server" | "effect"
  /**
   * Keep a copy of each line this instance serves, and answer polls and event streams from it (issue 38; see
   * docs/redis.md, "Copies of the lines"). Off unless given.
   */
  readonly lineCopies?: LineCopiesOptions
}

/**
 * One Redis, or a Redis Cluster: every script touches the keys of one queue,
 * which share a hash tag and so one slot. ioredis routes each call to the
 * slot's node, loads scripts per node (EVALSHA, then EVAL on `NOSCRIPT`) and
 * follows `MOVED`/`ASK` during resharding.
 *
 * @category models
 */
export type RedisClient = Redis | Cluster

interface QueueCommands {
  /** For each join, in order, its entry's fields comma-separated (the `view` of the scripts); joined by ';'. */
  boxofficeJoin(...args: Array<string | number>): Promise<string>
  /** For each token, in order, its entry's fields comma-separated, or '' for a token the queue does not know; joined by ';'. */
  boxofficeStatus(...args: Array<string | number>): Promise<string>
  /** The line's log counter after the call, as every write's answer. */
  boxofficeEnd(...args: Array<string | number>): Promise<number>
  boxofficeStats(
    ...args: Array<string | number>
  ): Promise<[number, number, number, number, number, number, number, number]>
  boxofficeConfigure(...args: Array<string | number>): Promise<[number, number, number, number, number]>
  boxofficeSoldOut(...args: Array<string | number>): Promise<number>
  boxofficeSnapshot(...args: Array<string | number>): Promise<unknown>
  /** The log counter after the admission step, then id, value, id, value... of the log after the given id. */
  boxofficeTick(...args: Array<string | number>): Promise<Array<string | number>>
  boxofficeSeen(...args: Array<string | number>): Promise<number>
}

/** Registers the scripts on the client once; ioredis then calls them by EVALSHA. */
const withScripts = (client: RedisClient): RedisClient & QueueCommands => {
  const commands = client as RedisClient & QueueCommands
  if (typeof commands.boxofficeJoin !== "function") {
    // The queue's first key alone: the scripts name the others from it.
    const numberOfKeys = 1
    client.defineCommand("boxofficeJoin", { numberOfKeys, lua: joinScript })
    client.defineCommand("boxofficeStatus", { numberOfKeys, lua: statusScript })
    client.defineCommand("boxofficeEnd", { numberOfKeys, lua: endScript })
    client.defineCommand("boxofficeStats", { numberOfKeys, lua: statsScript })
    client.defineCommand("boxofficeConfigure", { numberOfKeys, lua: configureScript })
    client.defineCommand("boxofficeSoldOut", { numberOfKeys, lua: soldOutScript })
    client.defineCommand("boxofficeSnapshot", { numberOfKeys, lua: snapshotScript })
    client.defineCommand("boxofficeTick", { numberOfKeys, lua: tickScript })
    client.defineCommand("boxofficeSeen", { numberOfKeys, lua: seenScript })
  }
  return commands
}

/**
 * What a line's copy reads through the client: the snapshot script and the line's log.
 *
 * @internal
 */
export const lineReaderOf = (client: RedisClient): LineReader => {
  const redis = withScripts(client)
  return {
    snapshot: (key, ...args) => redis.boxofficeSnapshot(key, ...args),
    bitmap: (key) => client.getBuffer(key),
    range: (key, afterId, count) =>
      client.xrange(key, `(${afterId}`, "+", "COUNT", count) as Promise<Array<[string, Array<string>]>>
  }
}

/** A connection for the copies' blocking reads of the logs; it reports its errors through failed reads. */
const blockingReaderOf = (connection: Redis): BlockingReader => {
  connection.on("error", () => {})
  return {
    xread: (...args) => connection.call("XREAD", ...args) as ReturnType<BlockingReader["xread"]>,
    disconnect: () => connection.disconnect()
  }
}

/**
 * The calls an instance that keeps copies makes of each line it follows: the tick (admission step and the log
 * after an id) and the report of waiters seen.
 *
 * @internal
 */
export const lineCallsOf = (client: RedisClient, keyPrefix: string) => {
  const redis = withScripts(client)
  return {
    tick: (concertId: ConcertId, now: string, policy: QueuePolicy, afterId: string, count: number) =>
      redis.boxofficeTick(...scriptArguments(keyPrefix, concertId, now, policy), afterId, count),
    /** `members`: the waiters' members (`LineMembers.memberOf`). */
    seen: (concertId: ConcertId, now: string, policy: QueuePolicy, members: ReadonlyArray<string>) =>
      redis.boxofficeSeen(...scriptArguments(keyPrefix, concertId, now, policy), ...members)
  }
}

/**
 * What a queue tells whoever keeps copies of its lines, so that a copy answers no older than this instance's own
 * calls (an instance reads its own writes, and runs its calls in the order it made them). A leave or payment,
 * settings and the sold-out mark change what others read: while one is in flight on a line its copy does not
 * answer, and after it the copy answers once it holds the log counter the call answered. A poll or join that
 * changed more than its own entry (an admission due by time, say) answers a counter too.
 *
 * @internal
 */
export interface QueueWrites {
  readonly lineWriting: (concertId: ConcertId) => void
  /** The call is over: the counter it answered, or undefined when it failed. */
  readonly lineWriteDone: (concertId: ConcertId, counter: number | undefined) => void
  readonly lineWritten: (concertId: ConcertId, counter: number) => void
}

export { queueKeyOf, queueKeys } from "./internal/LineKeys.ts"

/** A Redis reply error is a bug in a script; anything else means Redis could not be reached. */
const isReplyError = (error: unknown) => error instanceof Error && error.name === "ReplyError"

/** The settings in force, as the scripts answer them: activeMs, and rate 0 for no cap. */
const settingsOf = (maxActive: number, activeMs: number, rate: number, paused: number) =>
  new QueueSettings({
    maxActive: Number(maxActive),
    activeSeconds: Number(activeMs) / 1000,
    admitPerMinute: Number(rate) > 0 ? Number(rate) : null,
    paused: Number(paused) === 1
  })

/** `s`: a pending or waiting entry of a line marked sold out, as the scripts' `view` answers it. */
const statusOfState = { p: "pending", w: "waiting", a: "active", e: "expired", s: "sold-out" } as const

/** What the join script answers, instead of a view, for a join the line refuses because it is sold out. */
const soldOutView = "sold-out"

/**
 * A reply the scripts cannot have written: the adapter and its scripts disagree, or someone else wrote the
 * queue's keys. A defect, never an answer built from it.
 */
class MalformedEntryReply extends Error {
  override readonly name = "MalformedEntryReply"
  constructor(reply: string) {
    super(`the Redis queue answered an entry it cannot have written: ${reply}`)
  }
}

/**
 * An entry from the scripts' `view`. The reply is this adapter's own encoding of what its scripts stored from
 * typed requests, so it is checked cheaply (the state letter, every number an integer) and built as a trusted
 * entry: the schema's parse would cost every poll and join a check that finds nothing to refuse.
 */
const toEntry = (concertId: ConcertId, queuePolicy: QueuePolicy, reply: string, userId: UserId): QueueEntry => {
  const fields = reply.split(",")
  const integer = (index: number) => {
    const value = Number(fields[index])
    if (!Number.isSafeInteger(value)) throw new MalformedEntryReply(reply)
    return value
  }
  // The scripts answer -1 for a time that is not there.
  const msOrNull = (index: number) => {
    const ms = integer(index)
    return ms < 0 ? null : ms
  }
  const at = (index: number) => {
    const ms = msOrNull(index)
    return ms === null ? null : DateTime.makeUnsafe(ms)
  }
  const status = statusOfState[fields[2] as keyof typeof statusOfState]
  const tokenKey = fields[1]
  if (status === undefined || !tokenKey) throw new MalformedEntryReply(reply)
  const waiting = status === "waiting"
  const position = waiting ? integer(7) : null
  const nowMs = integer(8)
  // The settings in force, which the ETA follows: the operator may have changed the concert's policy.
  const rate = integer(11)
  const policy = { maxActive: integer(9), activeSeconds: integer(10) / 1000, admitPerMinute: rate > 0 ? rate : null }
  return QueueEntry.trusted({
    tokenId: tokenIdOfKey(tokenKey) as QueueTokenId,
    concertId,
    // The store keeps a user's key, not the id: the caller named the user.
    userId,
    joinSequence: integer(3),
    joinedAt: DateTime.makeUnsafe(integer(4)),
    status,
    position,
    etaSeconds:
      position === null
        ? null
        : etaSeconds({
            policy,
            nowMs,
            position,
            activeCount: integer(12),
            waitedAdmissions: { oldestMs: msOrNull(13), afterOldest: integer(14) },
            ...(fields.length > 15 ? { rateCapWindow: { count: integer(15), predecessorMs: msOrNull(16) } } : {})
          }),
    admittedAt: at(5),
    activeUntil: status === "active" ? at(6) : null,
    opensAt: queuePolicy.opensAt ?? null
  })
}

/**
 * The queue port over an ioredis client the caller owns.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis"
 * import { RedisQueue } from "@boxoffice/redis"
 * const queue = RedisQueue.layerFromClient(new Redis("redis://127.0.0.1:6379"), { keyPrefix: "boxoffice:" })
 * ```
 * @category layers
 */
export const layerFromClient = (client: RedisClient, options: RedisQueueOptions): Layer.Layer<Queue> =>
  options.lineCopies === undefined
    ? Layer.succeed(Queue, makeQueue(client, options))
    : Layer.effect(
        Queue,
        Effect.map(makeQueueWithCopies(client, options, options.lineCopies), ({ queue }) => queue)
      )

/**
 * The queue over `client` whose polls are answered from copies of the lines, and the copies, whose tick loop runs
 * until the scope closes.
 *
 * @internal
 */
export const makeQueueWithCopies = (client: RedisClient, options: RedisQueueOptions, copies: LineCopiesOptions) =>
  Effect.map(
    makeLineCopies({
      keyPrefix: options.keyPrefix,
      clock: options.clock ?? "server",
      calls: lineCallsOf(client, options.keyPrefix),
      reader: lineReaderOf(client),
      // One Redis: a connection of the copies' own for blocking reads of the logs. A cluster's copies read at ticks.
      ...("isCluster" in client && client.isCluster
        ? {}
        : { blocking: blockingReaderOf((client as Redis).duplicate()) }),
      copies
    }),
    (lineCopies) => ({ queue: withLineCopies(makeQueue(client, options, lineCopies), lineCopies), copies: lineCopies })
  )

/**
 * ARGV[2..5] of every script: the concert's policy (rate 0: no cap; opening '': open at once). ARGV[1] is the
 * time, '' for Redis's own. The engine's limits are in the scripts' text.
 *
 * @internal
 */
export const policyArguments = (policy: QueuePolicy): Array<string | number> => [
  policy.maxActive,
  policy.activeSeconds * 1000,
  policy.admitPerMinute ?? 0,
  opensAtMsOf(policy) ?? ""
]

/**
 * KEYS and ARGV[1..5] of every script: the queue's first key, the time ('' for Redis's own) and the policy.
 *
 * @internal
 */
export const scriptArguments = (keyPrefix: string, concertId: ConcertId, now: string, policy: QueuePolicy) => [
  queueKeyOf(keyPrefix, concertId, "seq"),
  now,
  ...policyArguments(policy)
]

/**
 * Calls other than polls and joins per write to Redis, when a turn makes
 * several (`CommandBatch`): enough to spare Redis a wake-up per call, few
 * enough that it starts on the first while the server reads the rest
 * (docs/decisions.md, 62).
 */
const commandsPerWrite = 8

/** Polls or joins of one queue answered by one script call, when a turn makes that many: as many as a batch of writes. */
const requestsPerCall = 8

/** One poll or join, as a group of the turn's carries it: all of a group share their script arguments. */
interface GroupedRequest {
  readonly concertId: ConcertId
  readonly scriptArguments: ReadonlyArray<string | number>
  /** The member of a poll; the user's key and the token's key of a join (`LineMembers`). */
  readonly perRequest: ReadonlyArray<string>
}

/** The views of a grouped call, one per request, '' for a token the queue does not know. */
const viewsOf = (reply: string, count: number): Array<string | null> => {
  const views = reply.split(";")
  if (views.length !== count) throw new MalformedEntryReply(reply)
  return views.map((view) => (view === "" ? null : view))
}

export const makeQueue = (client: RedisClient, options: RedisQueueOptions, writes?: QueueWrites): Queue["Service"] => {
  const redis = withScripts(client)
  const nowArgument = options.clock === "effect" ? Effect.map(Clock.currentTimeMillis, String) : Effect.succeed("")
  const batched = makeCommandBatch(client, commandsPerWrite)
  /** A failed call: a reply error or a reply the scripts cannot have written is a defect; anything else, Redis unreachable. */
  const failure = (cause: unknown) =>
    isReplyError(cause) || cause instanceof MalformedEntryReply
      ? Effect.die(cause)
      : Effect.fail(unavailableOf(client, cause))
  // The polls of a turn, and its joins, one script call per queue: each answered as a call of its own at that time
  // would be. A request of one kind sends the open groups of the other first, and any other call sends both, so
  // that Redis runs the calls in the order they were made.
  const groupsOf = (command: "boxofficeStatus" | "boxofficeJoin") =>
    makeTurnGroups({
      itemsPerGroup: requestsPerCall,
      send: (requests: ReadonlyArray<GroupedRequest>) =>
        redis[command](...requests[0]!.scriptArguments, ...requests.flatMap((r) => r.perRequest)),
      answersOf: (reply: string, count: number, requests: ReadonlyArray<GroupedRequest>) => {
        // The line's log counter, when the call changed more than its callers' own entries: told before the callers
        // resume, in the same callback, so that this instance's copies answer them no older than what the call did.
        const mark = reply.lastIndexOf(";#")
        if (mark < 0) return viewsOf(reply, count)
        writes?.lineWritten(requests[0]!.concertId, Number(reply.slice(mark + 2)))
        return viewsOf(reply.slice(0, mark), count)
      }
    })
  const statuses = groupsOf("boxofficeStatus")
  const joins = groupsOf("boxofficeJoin")
  const grouped = (
    own: typeof statuses,
    other: typeof statuses,
    concertId: ConcertId,
    scriptArgs: ReadonlyArray<string | number>,
    perRequest: ReadonlyArray<string>
  ) =>
    Effect.callback<string | null, Unavailable>((resume) => {
      other.sendOpen()
      own.add(
        scriptArgs.join("\u0000"),
        { concertId, scriptArguments: scriptArgs, perRequest },
        (view) => resume(Effect.succeed(view)),
        (cause) => resume(failure(cause))
      )
    })
  const call = <A>(run: (now: string) => Promise<A>) =>
    Effect.flatMap(nowArgument, (now) =>
      Effect.tryPromise({
        try: () => {
          statuses.sendOpen()
          joins.sendOpen()
          return batched(() => run(now))
        },
        catch: (cause) => cause
      }).pipe(Effect.catch(failure))
    )
  /** A call that changes what others read (see QueueWrites), told to the copies before it leaves and when it is over. */
  const writeCall = <A>(concertId: ConcertId, run: (now: string) => Promise<A>, counterOf: (reply: A) => unknown) =>
    writes === undefined
      ? call(run)
      : Effect.suspend(() => {
          writes.lineWriting(concertId)
          return Effect.onExit(call(run), (exit) =>
            Effect.sync(() =>
              writes.lineWriteDone(concertId, Exit.isSuccess(exit) ? Number(counterOf(exit.value)) : undefined)
            )
          )
        })
  return Queue.of({
    join: (request) =>
      Effect.flatMap(nowArgument, (now) =>
        Effect.map(
          grouped(
            joins,
            statuses,
            request.concertId,
            scriptArguments(options.keyPrefix, request.concertId, now, request.policy),
            [userKeyOf(request.userId), tokenKeyOf(request.tokenId)]
          ),
          (view) => {
            if (view === null) throw new MalformedEntryReply("")
            if (view === soldOutView) return null
            return {
              entry: toEntry(request.concertId, request.policy, view, request.userId),
              created: view.startsWith("1,")
            }
          }
        ).pipe(
          Effect.flatMap((joined) =>
            joined === null ? Effect.fail(new SoldOut({ concertId: request.concertId })) : Effect.succeed(joined)
          )
        )
      ),
    status: (concertId, holder, policy) =>
      Effect.flatMap(nowArgument, (now) =>
        Effect.map(
          grouped(statuses, joins, concertId, scriptArguments(options.keyPrefix, concertId, now, policy), [
            memberOf(holder)
          ]),
          (view) => (view === null ? Option.none() : Option.some(toEntry(concertId, policy, view, holder.userId)))
        )
      ),
    end: (concertId, holder, policy) =>
      Effect.asVoid(
        writeCall(
          concertId,
          (now) => redis.boxofficeEnd(...scriptArguments(options.keyPrefix, concertId, now, policy), memberOf(holder)),
          (counter) => counter
        )
      ),
    stats: (concertId, policy) =>
      Effect.map(
        call((now) => redis.boxofficeStats(...scriptArguments(options.keyPrefix, concertId, now, policy))),
        ([pending, waiting, active, admittedLastMinute, maxActive, activeMs, rate, paused]) =>
          new QueueStats({
            settings: settingsOf(maxActive, activeMs, rate, paused),
            pending,
            waiting,
            active,
            admittedLastMinute
          })
      ),
    markSoldOut: (concertId, policy) =>
      Effect.asVoid(
        writeCall(
          concertId,
          (now) => redis.boxofficeSoldOut(...scriptArguments(options.keyPrefix, concertId, now, policy), "1"),
          (counter) => counter
        )
      ),
    clearSoldOut: (concertId, policy) =>
      Effect.asVoid(
        writeCall(
          concertId,
          (now) => redis.boxofficeSoldOut(...scriptArguments(options.keyPrefix, concertId, now, policy), "0"),
          (counter) => counter
        )
      ),
    configure: (concertId, change, policy) =>
      Effect.map(
        writeCall(
          concertId,
          (now) =>
            redis.boxofficeConfigure(
              ...scriptArguments(options.keyPrefix, concertId, now, policy),
              change.maxActive ?? "",
              change.activeSeconds === undefined ? "" : change.activeSeconds * 1000,
              change.admitPerMinute === undefined ? "" : (change.admitPerMinute ?? 0),
              change.paused === undefined ? "" : change.paused ? 1 : 0
            ),
          (reply) => reply[4]
        ),
        ([maxActive, activeMs, rate, paused]) => settingsOf(maxActive, activeMs, rate, paused)
      )
  })
}
