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
  Queue,
  QueueEntry,
  type QueuePolicy,
  QueueStats,
  type QueueTokenId,
  Unavailable,
  type UserId
} from "@boxoffice/core"
import { Clock, DateTime, Effect, Layer, Option } from "effect"
import type { Redis } from "ioredis"
import { endScript, joinScript, queueKeyNames, statsScript, statusScript } from "./internal/scripts.ts"

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

interface QueueCommands {
  boxofficeJoin(...args: Array<string | number>): Promise<Array<string | number> | null>
  boxofficeStatus(...args: Array<string | number>): Promise<Array<string | number> | null>
  boxofficeEnd(...args: Array<string | number>): Promise<number>
  boxofficeStats(...args: Array<string | number>): Promise<[number, number, number]>
}

/** Registers the scripts on the client once; ioredis then calls them by EVALSHA. */
const withScripts = (client: Redis): Redis & QueueCommands => {
  const commands = client as Redis & QueueCommands
  if (typeof commands.boxofficeJoin !== "function") {
    const numberOfKeys = queueKeyNames.length
    client.defineCommand("boxofficeJoin", { numberOfKeys, lua: joinScript })
    client.defineCommand("boxofficeStatus", { numberOfKeys, lua: statusScript })
    client.defineCommand("boxofficeEnd", { numberOfKeys, lua: endScript })
    client.defineCommand("boxofficeStats", { numberOfKeys, lua: statsScript })
  }
  return commands
}

/** The keys of one queue: one hash tag, so one cluster slot. */
export const queueKeys = (keyPrefix: string, concertId: ConcertId): Array<string> =>
  queueKeyNames.map((name) => `${keyPrefix}{q:${concertId}}:${name}`)

/** A Redis reply error is a bug in a script; anything else means Redis could not be reached. */
const isReplyError = (error: unknown) => error instanceof Error && error.name === "ReplyError"

const toEntry = (concertId: ConcertId, policy: QueuePolicy, reply: Array<string | number>): QueueEntry => {
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
    activeCount,
    waitedCount,
    ...times
  ] = reply
  const waitedAdmissionTimesMs = times.slice(0, Number(waitedCount ?? 0)).map(Number)
  const windowAdmissionTimesMs = times.slice(Number(waitedCount ?? 0)).map(Number)
  const at = (ms: string | number | undefined) => Number(ms) < 0 ? null : DateTime.makeUnsafe(Number(ms))
  const waiting = state === "w"
  return new QueueEntry({
    tokenId: String(tokenId) as QueueTokenId,
    concertId,
    userId: String(userId) as UserId,
    joinSequence: Number(joinSequence),
    joinedAt: DateTime.makeUnsafe(Number(joinedAtMs)),
    status: waiting ? "waiting" : state === "a" ? "active" : "expired",
    position: waiting ? Number(position) : null,
    etaSeconds: waiting
      ? etaSeconds({
        policy,
        nowMs: Number(nowMs),
        position: Number(position),
        activeCount: Number(activeCount),
        waitedAdmissionTimesMs,
        windowAdmissionTimesMs
      })
      : null,
    admittedAt: at(admittedAtMs),
    activeUntil: state === "a" ? at(activeUntilMs) : null
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
export const layerFromClient = (client: Redis, options: RedisQueueOptions): Layer.Layer<Queue> =>
  Layer.succeed(Queue, makeQueue(client, options))

export const makeQueue = (client: Redis, options: RedisQueueOptions): Queue["Service"] => {
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
  const policyArguments = (policy: QueuePolicy) => [
    policy.maxActive,
    policy.activeSeconds * 1000,
    policy.admitPerMinute ?? 0,
    Limits.waitingGraceSeconds * 1000,
    Limits.queueTidyBatchMax,
    Limits.endedEntryRetentionSeconds * 1000,
    Limits.etaSampleSize
  ]
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
        (reply) => ({ entry: toEntry(request.concertId, request.policy, reply!), created: Number(reply![0]) === 1 })
      ),
    status: (concertId, tokenId, policy) =>
      Effect.map(
        call((now) => redis.boxofficeStatus(...queueKeys(options.keyPrefix, concertId), now, ...policyArguments(policy), tokenId)),
        (reply) => reply === null ? Option.none() : Option.some(toEntry(concertId, policy, reply))
      ),
    end: (concertId, tokenId, policy) =>
      Effect.asVoid(
        call((now) => redis.boxofficeEnd(...queueKeys(options.keyPrefix, concertId), now, ...policyArguments(policy), tokenId))
      ),
    stats: (concertId, policy) =>
      Effect.map(
        call((now) => redis.boxofficeStats(...queueKeys(options.keyPrefix, concertId), now, ...policyArguments(policy))),
        ([waiting, active, admittedLastMinute]) => new QueueStats({ waiting, active, admittedLastMinute })
      )
  })
}
