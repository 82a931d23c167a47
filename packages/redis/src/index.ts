/**
 * @boxoffice/redis: the waiting queue on Redis, shared by every instance.
 *
 * @since 0.1.0
 * @packageDocumentation
 * @module @boxoffice/redis
 */
import { Queue, RateLimitCounters, Unavailable } from "@boxoffice/core"
import { Effect, Layer, Redacted } from "effect"
import { Cluster, Redis } from "ioredis"
import { layerFromClient, makeQueue, makeQueueWithCopies, type RedisClient, type RedisQueueOptions } from "./Queue.ts"
import { addressOf, lastConnectionError, trackConnection } from "./internal/Unreachable.ts"
import { makeRateLimitCounters } from "./RateLimitCounters.ts"

export type { LineCopiesOptions } from "./internal/LineCopies.ts"
export { queueKeyOf, queueKeys, type RedisClient, type RedisQueueOptions } from "./Queue.ts"

/**
 * Where the queue lives: one Redis (`url`), or a Redis Cluster (`clusterNodes`,
 * some of its nodes as `redis://host:port` URLs; the client finds the rest).
 *
 * @category models
 */
export type RedisConnectionOptions = RedisQueueOptions & {
  /** How long a command or a connection attempt may take before it fails with `unavailable`. Default 2 s. */
  readonly timeoutMs?: number
} & (
    | { readonly url: Redacted.Redacted<string>; readonly clusterNodes?: undefined }
    | { readonly clusterNodes: ReadonlyArray<Redacted.Redacted<string>>; readonly url?: undefined }
  )

const nodeOf = (url: Redacted.Redacted<string>) => {
  const parsed = new URL(Redacted.value(url))
  return { host: parsed.hostname, port: Number(parsed.port || 6379) }
}

/** `host:port` of each configured node, comma-separated: never the password. */
const configuredAddress = (options: RedisConnectionOptions): string =>
  (options.clusterNodes ?? [options.url!])
    .map(nodeOf)
    .map(({ host, port }) => `${host}:${port}`)
    .join(",")

/**
 * An ioredis client that fails fast while Redis is away (no offline queue,
 * bounded command time) and keeps reconnecting by itself. Its failures name
 * the configured address and its last connection error.
 *
 * @category constructors
 */
export const makeClient = (options: RedisConnectionOptions): RedisClient => {
  const timeoutMs = options.timeoutMs ?? 2_000
  const failFast = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000)
  }
  const client: RedisClient =
    options.clusterNodes !== undefined
      ? new Cluster(options.clusterNodes.map(nodeOf), {
          enableOfflineQueue: false,
          lazyConnect: true,
          clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
          redisOptions: failFast
        })
      : new Redis(Redacted.value(options.url), { ...failFast, lazyConnect: true })
  // Errors reach callers as failed commands (which name the latest one); the event would otherwise be unhandled.
  trackConnection(client, configuredAddress(options))
  return client
}

/**
 * Warns when Redis (each master of a cluster) may evict the queue's keys: every key has a TTL, so any
 * policy but `noeviction` can drop a live queue under memory pressure. The
 * scripts survive that (a lost entry counts as ended), but waiters lose
 * their place. Managed services that refuse `CONFIG GET` are let be.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { checkEvictionPolicy } from "@boxoffice/redis"
 * declare const client: import("ioredis").Redis
 * const check = checkEvictionPolicy(client)
 * ```
 * @category diagnostics
 */
export const checkEvictionPolicy = (client: RedisClient): Effect.Effect<void> =>
  client instanceof Cluster
    ? Effect.forEach(client.nodes("master"), checkEvictionPolicy, { discard: true })
    : checkNodeEvictionPolicy(client)

const checkNodeEvictionPolicy = (client: Redis): Effect.Effect<void> =>
  Effect.tryPromise(() => client.config("GET", "maxmemory-policy") as Promise<Array<string>>).pipe(
    Effect.flatMap(([, policy]) =>
      policy === undefined || policy === "noeviction"
        ? Effect.void
        : Effect.logWarning(
            `Redis maxmemory-policy is ${policy}: it can evict queue keys and waiters would lose their place; use noeviction`
          )
    ),
    Effect.catch(() => Effect.logInfo("could not read Redis maxmemory-policy; make sure it is noeviction"))
  )

/**
 * A client for the configured Redis, closed with its scope, and whether it
 * connected: it waits for the connection up to its timeout. If Redis is
 * away, the client is made anyway, keeps reconnecting, and its calls fail
 * fast meanwhile.
 */
const connectingClient = (options: RedisConnectionOptions) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const client = makeClient(options)
      const connected = client.connect().then(
        () => true,
        () => false
      )
      // A real timer, not Effect's Clock, which a test may hold still.
      const up = yield* Effect.promise(() =>
        Promise.race([
          connected,
          new Promise<false>((resolve) => setTimeout(resolve, options.timeoutMs ?? 2_000, false))
        ])
      )
      if (up) yield* checkEvictionPolicy(client)
      return { client, up }
    }),
    ({ client }) => Effect.promise(() => client.quit().catch(() => client.disconnect()))
  )

/**
 * A client connected to the configured Redis, or `Unavailable` (naming the
 * address and the connection error) when it cannot be reached within the
 * timeout, so that nothing is built over a store that is not there. The
 * client is closed with its scope either way.
 */
const connectedClient = (options: RedisConnectionOptions) =>
  Effect.flatMap(connectingClient(options), ({ client, up }) =>
    up
      ? Effect.succeed(client)
      : Effect.fail(
          new Unavailable({
            store: "redis",
            address: addressOf(client),
            cause: lastConnectionError(client) ?? new Error(`no connection within ${options.timeoutMs ?? 2_000} ms`)
          })
        )
  )

/**
 * The queue port on Redis. Building the layer connects: a Redis that
 * cannot be reached within `timeoutMs` fails it with `Unavailable`, whose
 * message names the address and the cause (`connect ECONNREFUSED
 * 127.0.0.1:6390`), before any other store is written. Once built, calls
 * fail fast with `Unavailable` while Redis is away and work again when it
 * is back.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { RedisQueue } from "@boxoffice/redis"
 * const queue = RedisQueue.layer({ url: Redacted.make("redis://127.0.0.1:6379"), keyPrefix: "boxoffice:" })
 * ```
 * @category layers
 */
export const RedisQueue = {
  layer: (options: RedisConnectionOptions): Layer.Layer<Queue, Unavailable> =>
    Layer.effect(
      Queue,
      Effect.flatMap(connectedClient(options), (client) =>
        options.lineCopies === undefined
          ? Effect.succeed(makeQueue(client, options))
          : Effect.map(makeQueueWithCopies(client, options, options.lineCopies), ({ queue }) => queue)
      )
    ),
  layerFromClient
}

/**
 * Rate-limit counters in Redis, shared by every instance: core's
 * `RateLimitCounters` port over `rate-limiter-flexible`'s Redis limiter (one
 * key per counted key, so cluster-safe). While Redis cannot be reached, each
 * instance counts in its own memory instead, so limits hold per instance
 * rather than not at all.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { RedisRateLimitCounters } from "@boxoffice/redis"
 * const counters = RedisRateLimitCounters.layer({ url: Redacted.make("redis://127.0.0.1:6379"), keyPrefix: "boxoffice:" })
 * ```
 * @category layers
 */
export const RedisRateLimitCounters = {
  layer: (options: RedisConnectionOptions): Layer.Layer<RateLimitCounters> =>
    Layer.effect(
      RateLimitCounters,
      Effect.map(connectingClient(options), ({ client }) => makeRateLimitCounters(client, options.keyPrefix))
    )
}
