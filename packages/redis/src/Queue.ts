/**
 * Redis `Queue`: exact FIFO by the order Redis received the joins, both
 * caps, and immediate slot reuse, each call one Lua script run by
 * EVALSHA. Position is ZRANK over the waiting set: O(log N).
 *
 * @since 0.1.0
 */
import {
  type ConcertId,
  etaSeconds,
  Limits,
  opensAtMsOf,
  Queue,
  QueueEntry,
  type QueuePolicy,
  QueueSettings,
  QueueStats,
  type QueueTokenId,
  Unavailable,
  type UserId
} from "@boxoffice/core"
import { Clock, DateTime, Effect, Layer, Option } from "effect"
import type { Cluster, Redis } from "ioredis"
import { configureScript, endScript, joinScript, queueKeyNames, statsScript, statusScript } from "./internal/scripts.ts"

/** @category models */
export interface RedisQueueOptions {
  /** Prepended to every key, so several deployments or test runs share one Redis. No braces. */
  readonly keyPrefix: string
  /**
   * Where scripts take the time from: Redis `TIME` (the default, the spec (docs/spec.md, Time)),
   * or Effect's `Clock`, for tests that move time by hand.
   */
  readonly clock?: "server" | "effect"
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
  /** An entry's fields, comma-separated (the `view` of the scripts). */
  boxofficeJoin(...args: Array<string | number>): Promise<string>
  /** An entry's fields, comma-separated, or null for a token the queue does not know. */
  boxofficeStatus(...args: Array<string | number>): Promise<string | null>
  boxofficeEnd(...args: Array<string | number>): Promise<number>
  boxofficeStats(...args: Array<string | number>): Promise<[number, number, number, number, number, number, number, number]>
  boxofficeConfigure(...args: Array<string | number>): Promise<[number, number, number, number]>
}

/** Registers the scripts on the client once; ioredis then calls them by EVALSHA. */
const withScripts = (client: RedisClient): RedisClient & QueueCommands => {
  const commands = client as RedisClient & QueueCommands
  if (typeof commands.boxofficeJoin !== "function") {
    const numberOfKeys = queueKeyNames.length
    client.defineCommand("boxofficeJoin", { numberOfKeys, lua: joinScript })
    client.defineCommand("boxofficeStatus", { numberOfKeys, lua: statusScript })
    client.defineCommand("boxofficeEnd", { numberOfKeys, lua: endScript })
    client.defineCommand("boxofficeStats", { numberOfKeys, lua: statsScript })
    client.defineCommand("boxofficeConfigure", { numberOfKeys, lua: configureScript })
  }
  return commands
}

/** The keys of one queue: one hash tag, so one cluster slot. */
export const queueKeys = (keyPrefix: string, concertId: ConcertId): Array<string> =>
  queueKeyNames.map((name) => `${keyPrefix}{q:${concertId}}:${name}`)

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

const statusOfState = { p: "pending", w: "waiting", a: "active", e: "expired" } as const

/** An entry from the fields of the scripts' `view`. */
const toEntry = (concertId: ConcertId, queuePolicy: QueuePolicy, fields: ReadonlyArray<string>): QueueEntry => {
  const [
    ,
    tokenId,
    state,
    userId,
    joinSequence,
    joinedAtMs,
    admittedAtMs,
    activeUntilMs,
    position,
    nowMs,
    maxActive,
    activeMs,
    rate,
    activeCount,
    oldestWaitedMs,
    afterOldest,
    windowCount,
    predecessorMs
  ] = fields
  // The settings in force, which the ETA follows: the operator may have changed the concert's policy.
  const policy = {
    maxActive: Number(maxActive),
    activeSeconds: Number(activeMs) / 1000,
    admitPerMinute: Number(rate) > 0 ? Number(rate) : null
  }
  // The scripts answer -1 for a time that is not there.
  const msOrNull = (ms: string | undefined) => Number(ms) < 0 ? null : Number(ms)
  const at = (ms: string | undefined) => Number(ms) < 0 ? null : DateTime.makeUnsafe(Number(ms))
  const waiting = state === "w"
  return new QueueEntry({
    tokenId: String(tokenId) as QueueTokenId,
    concertId,
    userId: String(userId) as UserId,
    joinSequence: Number(joinSequence),
    joinedAt: DateTime.makeUnsafe(Number(joinedAtMs)),
    status: statusOfState[state as keyof typeof statusOfState],
    position: waiting ? Number(position) : null,
    etaSeconds: waiting
      ? etaSeconds({
        policy,
        nowMs: Number(nowMs),
        position: Number(position),
        activeCount: Number(activeCount),
        waitedAdmissions: { oldestMs: msOrNull(oldestWaitedMs), afterOldest: Number(afterOldest) },
        ...(windowCount === undefined ? {} : { rateCapWindow: { count: Number(windowCount), predecessorMs: msOrNull(predecessorMs) } })
      })
      : null,
    admittedAt: at(admittedAtMs),
    activeUntil: state === "a" ? at(activeUntilMs) : null,
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
  Layer.succeed(Queue, makeQueue(client, options))

/**
 * ARGV[2..10] of every script: the concert's policy and the limits (rate 0:
 * no cap; opening '': open at once). ARGV[1] is the time, '' for Redis's own.
 *
 * @internal
 */
export const policyArguments = (policy: QueuePolicy): Array<string | number> => [
  policy.maxActive,
  policy.activeSeconds * 1000,
  policy.admitPerMinute ?? 0,
  Limits.waitingGraceSeconds * 1000,
  Limits.queueTidyBatchMax,
  Limits.endedEntryRetentionSeconds * 1000,
  Limits.etaSampleSize,
  opensAtMsOf(policy) ?? "",
  Limits.etaWindowSeconds * 1000
]

export const makeQueue = (client: RedisClient, options: RedisQueueOptions): Queue["Service"] => {
  const redis = withScripts(client)
  const nowArgument = options.clock === "effect"
    ? Effect.map(Clock.currentTimeMillis, String)
    : Effect.succeed("")
  const call = <A>(run: (now: string) => Promise<A>) =>
    Effect.flatMap(nowArgument, (now) =>
      Effect.tryPromise({ try: () => run(now), catch: (cause) => cause }).pipe(
        Effect.catch((cause) =>
          isReplyError(cause) ? Effect.die(cause) : Effect.fail(new Unavailable({ store: "redis", cause }))
        )
      ))
  return Queue.of({
    join: (request) =>
      Effect.map(
        call((now) =>
          redis.boxofficeJoin(
            ...queueKeys(options.keyPrefix, request.concertId),
            now,
            ...policyArguments(request.policy),
            request.userId,
            request.tokenId
          )
        ),
        (reply) => {
          const fields = reply.split(",")
          return { entry: toEntry(request.concertId, request.policy, fields), created: fields[0] === "1" }
        }
      ),
    status: (concertId, tokenId, policy) =>
      Effect.map(
        call((now) => redis.boxofficeStatus(...queueKeys(options.keyPrefix, concertId), now, ...policyArguments(policy), tokenId)),
        (reply) => reply === null ? Option.none() : Option.some(toEntry(concertId, policy, reply.split(",")))
      ),
    end: (concertId, tokenId, policy) =>
      Effect.asVoid(
        call((now) => redis.boxofficeEnd(...queueKeys(options.keyPrefix, concertId), now, ...policyArguments(policy), tokenId))
      ),
    stats: (concertId, policy) =>
      Effect.map(
        call((now) => redis.boxofficeStats(...queueKeys(options.keyPrefix, concertId), now, ...policyArguments(policy))),
        ([pending, waiting, active, admittedLastMinute, maxActive, activeMs, rate, paused]) =>
          new QueueStats({
            settings: settingsOf(maxActive, activeMs, rate, paused),
            pending,
            waiting,
            active,
            admittedLastMinute
          })
      ),
    configure: (concertId, change, policy) =>
      Effect.map(
        call((now) =>
          redis.boxofficeConfigure(
            ...queueKeys(options.keyPrefix, concertId),
            now,
            ...policyArguments(policy),
            change.maxActive ?? "",
            change.activeSeconds === undefined ? "" : change.activeSeconds * 1000,
            change.admitPerMinute === undefined ? "" : change.admitPerMinute ?? 0,
            change.paused === undefined ? "" : change.paused ? 1 : 0
          )
        ),
        ([maxActive, activeMs, rate, paused]) => settingsOf(maxActive, activeMs, rate, paused)
      )
  })
}
