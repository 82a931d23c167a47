/**
 * The deployable server, composed from configuration: the embedded (memory)
 * engine by default; Postgres for the stores and Redis for the queue when
 * configured, with migrations applied at start. A store that cannot be
 * reached at start is logged and tried again until it answers; the server
 * answers 503 meanwhile (`StoreReadiness.ts`).
 */
import { Booking, Identity, QueueTokenSigner } from "@boxoffice/core"
import { BoxofficeHttp, JwtIdentity, RateLimitGate, RateLimitSettings } from "@boxoffice/http"
import { MemoryQueue, MemoryRateLimitCounters, MemoryStores } from "@boxoffice/memory"
import { migrateDatabase, PostgresStores, sweepExpiredHolds, sweepIdempotencyRecords } from "@boxoffice/postgres"
import { RedisQueue, RedisRateLimitCounters } from "@boxoffice/redis"
import { DateTime, Duration, Effect, Layer, Option, Schedule } from "effect"
import { HttpRouter } from "effect/http"
import { accessLogHook } from "./AccessLog.ts"
import { AltchaHumanCheck, altchaDefaults } from "./AltchaHumanCheck.ts"
import { defaultWebRoot, demoPageLayer } from "./DemoPage.ts"
import { eventRetentionLayer } from "./EventRetention.ts"
import { JsonLog } from "./JsonLog.ts"
import { MetricsLive } from "./Metrics.ts"
import { storeInstrumentation, tracingLayer } from "./Tracing.ts"
import { nodeServerLayer } from "./NodeServer.ts"
import { untilReachable } from "./StoreReadiness.ts"
import { queueShortcutFrontLayer } from "./QueueShortcutFront.ts"
import { defaultLineStalenessMs, listenerDefaults, type ServerConfig } from "./ServerConfig.ts"
import { webhookDeliveryLayer } from "./WebhookDelivery.ts"

const stores = (config: ServerConfig) =>
  config.store === "postgres" ? untilReachable("postgres", postgresStores(config)) : MemoryStores.layerWithoutQueue

/** The Postgres stores, migrated first (which is also how the database is found to answer), with the sweeper. */
const postgresStores = (config: ServerConfig) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const url = Option.getOrThrow(config.databaseUrl)
      // Safe when several instances start at once: the migrator holds an advisory lock.
      yield* migrateDatabase(url, { schema: config.postgresSchema ?? "boxoffice" })
      yield* Effect.logInfo("migrations applied")
      const storesLayer = PostgresStores.layer({
        url,
        poolSize: config.postgresPoolSize,
        schema: config.postgresSchema ?? "boxoffice"
      })
      // Tidies seat rows of expired holds; correctness never depends on it (L4).
      // Also forgets idempotency records past their 24 h.
      const sweeper = Layer.effectDiscard(
        Effect.forkScoped(
          Effect.andThen(sweepExpiredHolds(500), sweepIdempotencyRecords(500)).pipe(
            Effect.ignore,
            Effect.repeat(Schedule.spaced("30 seconds"))
          )
        )
      )
      return Layer.merge(storesLayer, sweeper.pipe(Layer.provide(storesLayer)))
    })
  )

const queue = (config: ServerConfig) => {
  const cluster = config.redisClusterNodes ?? Option.none()
  // Polls answered from each instance's copy of the line unless turned off with 0 (issue 38).
  const stalenessMs = config.lineStalenessMs ?? defaultLineStalenessMs
  const options = { keyPrefix: config.redisKeyPrefix, ...(stalenessMs > 0 ? { lineCopies: { stalenessMs } } : {}) }
  if (Option.isSome(cluster)) {
    return untilReachable("redis", RedisQueue.layer({ ...options, clusterNodes: cluster.value }))
  }
  return Option.match(config.redisUrl, {
    onNone: () => MemoryQueue.layer,
    onSome: (url) => untilReachable("redis", RedisQueue.layer({ ...options, url }))
  })
}

/**
 * The counters of the rate limits and of spent human-check proofs: in Redis
 * when the queue is there (every instance shares the counts), else in this
 * process.
 */
const rateLimitCounters = (config: ServerConfig) => {
  const cluster = config.redisClusterNodes ?? Option.none()
  return Option.isSome(cluster)
    ? RedisRateLimitCounters.layer({ clusterNodes: cluster.value, keyPrefix: config.redisKeyPrefix })
    : Option.match(config.redisUrl, {
        onNone: () => MemoryRateLimitCounters.layer,
        onSome: (url) => RedisRateLimitCounters.layer({ url, keyPrefix: config.redisKeyPrefix })
      })
}

/** The rate limits' gate, over the engine's counters and identity. */
const rateLimitGate = (config: ServerConfig) =>
  RateLimitGate.layer(config.rateLimits ?? RateLimitSettings.defaults, { trustedProxies: config.trustedProxies ?? [] })

/** The human check at the door (`BOXOFFICE_HUMAN_CHECK=altcha`), or none. */
const humanCheck = (config: ServerConfig) =>
  config.humanCheck === "altcha" ? AltchaHumanCheck.layer({ secret: config.secret, ...altchaDefaults }) : Layer.empty

/** `BOXOFFICE_SECRET_PREVIOUS`, for the token layers: the tokens it signed still verify. */
const previousSecretOf = (config: ServerConfig) =>
  Option.match(config.previousSecret ?? Option.none(), {
    onNone: () => ({}),
    onSome: (previousSecret) => ({ previousSecret })
  })

/** The host's identity provider when `BOXOFFICE_JWT_*` name one, else the demo identity (`POST /users`). */
const identity = (config: ServerConfig) =>
  Option.match(config.jwt ?? Option.none(), {
    onNone: () => Identity.layerHmac(config.secret, previousSecretOf(config)),
    onSome: ({ source, options }) => JwtIdentity.layer(source, options)
  })

/** A demo concert, when the store has none: three dates a week out, 50 seats each. */
const seedDemo = Layer.effectDiscard(
  Effect.gen(function* () {
    const booking = yield* Booking
    if ((yield* booking.listConcerts).length > 0) return
    const nowMs = yield* DateTime.now.pipe(Effect.map(DateTime.toEpochMillis))
    const concert = yield* booking.createConcert({
      title: "boxoffice demo night",
      dates: [7, 8, 9].map((days) => ({ startsAt: DateTime.makeUnsafe(nowMs + days * 86_400_000), priceKrw: 55_000 }))
    })
    yield* Effect.logInfo(`seeded the demo concert ${concert.concertId}`)
  })
)

/** The engine: Booking over the configured stores and queue, with HMAC tokens. */
export const engineLayer = (config: ServerConfig) => {
  const counters = rateLimitCounters(config)
  const engine = Booking.layer.pipe(
    // Store calls that leave the process are timed by port and operation (and traced, when tracing is on).
    Layer.provide(storeInstrumentation(config, config.otlpEndpoint ?? Option.none())),
    Layer.provideMerge(
      Layer.mergeAll(
        stores(config),
        queue(config),
        QueueTokenSigner.layerHmac(config.secret, previousSecretOf(config)),
        identity(config),
        humanCheck(config).pipe(Layer.provide(counters)),
        counters
      )
    )
  )
  const webhook = config.webhook ?? Option.none()
  const background = Layer.mergeAll(
    config.demo ? seedDemo : Layer.empty,
    // Every instance purges and delivers; the store's claims keep them off each other's events. Undelivered
    // events are kept only where a webhook will deliver them (docs/webhooks.md).
    eventRetentionLayer({ deliveredOnly: Option.isSome(webhook) }),
    Option.match(webhook, { onNone: () => Layer.empty, onSome: webhookDeliveryLayer })
  )
  return Layer.merge(engine, background.pipe(Layer.provide(engine)))
}

/**
 * The HTTP server on `config.port`, with the access log of `config.accessLog`
 * (none at all when `logRequests` is off), and joins and polls answered by the
 * queue shortcut at the front door (`QueueShortcutFront.ts`) unless
 * `config.queueShortcut` is false.
 */
export const serverLayer = (config: ServerConfig, options: { readonly logRequests?: boolean } = {}) => {
  const accessLog = options.logRequests === false ? null : (config.accessLog ?? "errors")
  const requestMetrics = config.requestMetrics ?? true
  return HttpRouter.serve(
    Layer.mergeAll(
      BoxofficeHttp.layer({
        adminKey: config.adminKey,
        requestMetrics,
        walletCharges: config.walletCharges ?? "open",
        eventDelivery: Option.isSome(config.webhook ?? Option.none()),
        ...(accessLog === null ? {} : { onAnswer: accessLogHook(accessLog) })
      }),
      demoPageLayer(config.webRoot ?? defaultWebRoot),
      config.humanCheck === "altcha"
        ? AltchaHumanCheck.challengeRoute({ secret: config.secret, ...altchaDefaults })
        : Layer.empty,
      config.queueShortcut === false
        ? Layer.empty
        : queueShortcutFrontLayer({ requestMetrics, accessLog, drainTimeout: shutdownTimeout })
    ),
    { routerConfig: BoxofficeHttp.routerConfig, disableLogger: true, disableListenLog: options.logRequests === false }
  ).pipe(
    Layer.provide(MetricsLive),
    Layer.provide(Layer.provideMerge(rateLimitGate(config), engineLayer(config))),
    // Listens before the engine is built, answering 503 until the app is ready (see NodeServer.ts);
    // on SIGTERM, requests in flight get up to 10 s to finish.
    Layer.provideMerge(
      nodeServerLayer({ port: config.port, listener: config.listener ?? listenerDefaults, shutdownTimeout })
    ),
    Layer.provide(JsonLog),
    Layer.provide(tracingLayer(config.otlpEndpoint ?? Option.none()))
  )
}

/** How long requests in flight get to finish on SIGTERM. */
const shutdownTimeout = Duration.seconds(10)
