/**
 * The server's configuration, from the environment only (docs/spec.md, Server configuration).
 * Secrets are `Redacted` and never logged.
 */
import { Config, Effect, type LogLevel, Option, Redacted, Result, Schema } from "effect"
import { RateLimitSettings } from "@boxoffice/http"
import type { AccessLogMode } from "./AccessLog.ts"
import { type JwtConfig, jwtConfig } from "./JwtConfig.ts"
import { type WebhookConfig, webhookConfig } from "./WebhookConfig.ts"

/** A configuration that cannot run: said at start, before anything listens. */
export class ServerConfigError extends Schema.TaggedError<ServerConfigError>()("ServerConfigError", {
  message: Schema.String
}) {}

/** The shortest signing secret the server accepts: 32 bytes, the HMAC-SHA256 key size. */
export const secretBytesMin = 32
/** The shortest admin key the server accepts. */
export const adminKeyLengthMin = 16

/** How old a poll's answer from an instance's copy of the line may be, in ms, unless configured (issue 38). */
export const defaultLineStalenessMs = 1_000

/** Where and how the server listens. */
export interface Listener {
  /** `HOST`: the address to bind. */
  readonly host: string
  /** `BOXOFFICE_HEADERS_TIMEOUT_MS`: the most a client may take to send its headers (a slow-headers attack). */
  readonly headersTimeoutMs: number
  /** `BOXOFFICE_REQUEST_TIMEOUT_MS`: the most a client may take to send a whole request, body included. */
  readonly requestTimeoutMs: number
  /** `BOXOFFICE_KEEP_ALIVE_TIMEOUT_MS`: how long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number
  /** `BOXOFFICE_MAX_CONNECTIONS`: open connections past which new ones are closed at once. */
  readonly maxConnections: number
}

/**
 * Loopback unless told otherwise (a demo is not put on the network by accident; a deployment sets
 * `HOST=0.0.0.0`), and bounds far tighter than Node's own (60 s for headers, 300 s for a request, no
 * connection limit): a queue's clients send small requests, and SSE streams are bounded by answers, not these.
 */
export const listenerDefaults: Listener = {
  host: "127.0.0.1",
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 10_000
}

/** 32 random bytes, hex: the secret of a lone in-memory instance. */
const randomSecret = () =>
  Array.from(globalThis.crypto.getRandomValues(new Uint8Array(32)), (byte) => byte.toString(16).padStart(2, "0")).join(
    ""
  )

export interface ServerConfig {
  readonly port: number
  readonly store: "memory" | "postgres"
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  /** Connections in this instance's Postgres pool (`BOXOFFICE_PG_POOL`, default 20). */
  readonly postgresPoolSize: number
  /** The Postgres schema of every table and function (`BOXOFFICE_PG_SCHEMA`, default `boxoffice`). */
  readonly postgresSchema?: string
  readonly redisUrl: Option.Option<Redacted.Redacted<string>>
  /** `REDIS_CLUSTER_NODES`: some nodes of a Redis Cluster (comma-separated URLs), instead of `REDIS_URL`. */
  readonly redisClusterNodes?: Option.Option<ReadonlyArray<Redacted.Redacted<string>>>
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  readonly redisKeyPrefix: string
  /**
   * `BOXOFFICE_LINE_STALENESS_MS`: with the Redis queue, answer polls and event streams from each instance's copy
   * of the line while it is at most this old (docs/redis.md, "Copies of the lines"); `defaultLineStalenessMs`
   * unless set, 0: every poll asks Redis.
   */
  readonly lineStalenessMs?: number
  readonly secret: Redacted.Redacted<string>
  /** `BOXOFFICE_SECRET_PREVIOUS`: the secret before a rotation; the tokens it signed still verify. */
  readonly previousSecret?: Option.Option<Redacted.Redacted<string>>
  /** `BOXOFFICE_JWT_*`: the host's identity provider, whose JWTs name the users; else the demo identity. */
  readonly jwt?: Option.Option<JwtConfig>
  readonly adminKey: Option.Option<Redacted.Redacted<string>>
  readonly demo: boolean
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: spans are exported over OTLP/HTTP when set. */
  readonly otlpEndpoint?: Option.Option<string>
  /** `BOXOFFICE_ACCESS_LOG`: a line per request (`all`) or only for 5xx and failures (`errors`, the default). */
  readonly accessLog?: AccessLogMode
  /**
   * `BOXOFFICE_REQUEST_METRICS`: time every request and every store call that leaves the process
   * (default true). Off, `/metrics` still serves the sales counters and queue gauges.
   */
  readonly requestMetrics?: boolean
  /**
   * Joining and polling through `QueueShortcut` (default true) or through HttpApi; the answers are the
   * same. Not read from the environment: it is there for the test that compares the two, and the bench.
   */
  readonly queueShortcut?: boolean
  /** `BOXOFFICE_LOG_LEVEL`: the least severe level logged (default `Info`). */
  readonly logLevel?: LogLevel.LogLevel
  /** `BOXOFFICE_WORKERS`: server processes behind the one port (default 1; more only with shared stores). */
  readonly workers?: number
  /** The built demo page (`pnpm run build:web`); default `examples/server/dist-web`. */
  readonly webRoot?: string
  /** How the server listens: `HOST` and the connection bounds (defaults in `listenerDefaults`). */
  readonly listener?: Listener
  /**
   * `BOXOFFICE_WALLET_CHARGES`: `open` (users charge their own wallets: demos) or `admin` (only the host, through
   * the admin route). Default `admin` with a host's identity provider, `open` with the demo identity.
   */
  readonly walletCharges?: "open" | "admin"
  /** `BOXOFFICE_HUMAN_CHECK`: `altcha` puts a proof of work before every join; `off` (the default) none. */
  readonly humanCheck?: "altcha" | "off"
  /** `BOXOFFICE_RATE_LIMITS`: the limits (default `RateLimitSettings.defaults`; `off` for load tests). */
  readonly rateLimits?: RateLimitSettings
  /** `BOXOFFICE_TRUST_PROXY`: the proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges). */
  readonly trustedProxies?: ReadonlyArray<string>
  /** `BOXOFFICE_WEBHOOK_URL` and `BOXOFFICE_WEBHOOK_SECRET`: where the store's events are POSTed, signed. */
  readonly webhook?: Option.Option<WebhookConfig>
}

export const serverConfig: Effect.Effect<ServerConfig, Config.ConfigError | ServerConfigError> = Effect.gen(
  function* () {
    const port = yield* Config.Port("PORT").pipe(Config.withDefault(3000))
    const store = yield* Config.Literals(["memory", "postgres"], "BOXOFFICE_STORE").pipe(
      Config.withDefault("memory" as const)
    )
    const databaseUrl = yield* Config.Redacted("DATABASE_URL").pipe(Config.option)
    const redisUrl = yield* Config.Redacted("REDIS_URL").pipe(Config.option)
    const redisClusterNodes = Option.map(yield* Config.Redacted("REDIS_CLUSTER_NODES").pipe(Config.option), (nodes) =>
      Redacted.value(nodes)
        .split(",")
        .map((node) => node.trim())
        .filter((node) => node !== "")
        .map((node) => Redacted.make(node))
    )
    if (Option.isSome(redisUrl) && Option.isSome(redisClusterNodes)) {
      return yield* new ServerConfigError({
        message: "set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a cluster), not both"
      })
    }
    if (Option.isSome(redisClusterNodes) && redisClusterNodes.value.length === 0) {
      return yield* new ServerConfigError({ message: "REDIS_CLUSTER_NODES names no node" })
    }
    const postgresPoolSize = yield* Config.Int("BOXOFFICE_PG_POOL").pipe(Config.withDefault(20))
    if (postgresPoolSize < 1 || postgresPoolSize > 500) {
      return yield* new ServerConfigError({ message: "BOXOFFICE_PG_POOL must be between 1 and 500" })
    }
    const postgresSchema = yield* Config.String("BOXOFFICE_PG_SCHEMA").pipe(Config.withDefault("boxoffice"))
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(postgresSchema)) {
      return yield* new ServerConfigError({
        message: "BOXOFFICE_PG_SCHEMA must be a lower-case identifier (a-z, 0-9, _), at most 63 characters"
      })
    }
    const redisKeyPrefix = yield* Config.String("BOXOFFICE_REDIS_PREFIX").pipe(Config.withDefault("boxoffice:"))
    const lineStalenessMs = yield* Config.Int("BOXOFFICE_LINE_STALENESS_MS").pipe(
      Config.withDefault(defaultLineStalenessMs)
    )
    // Below 100 ms a copy would go stale between two of its ticks; past a minute its places would mislead.
    if (lineStalenessMs !== 0 && (lineStalenessMs < 100 || lineStalenessMs > 60_000)) {
      return yield* new ServerConfigError({
        message: "BOXOFFICE_LINE_STALENESS_MS must be 0 (off) or between 100 and 60000"
      })
    }
    const otlpEndpoint = yield* Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT"))
    // Effect's config reads an empty variable as unset; an empty secret or key is a mistake to refuse, not to
    // ignore (an empty previous secret would end a rotation's grace in silence).
    for (const name of ["BOXOFFICE_SECRET", "BOXOFFICE_SECRET_PREVIOUS", "BOXOFFICE_ADMIN_KEY"]) {
      if (process.env[name] === "") {
        return yield* new ServerConfigError({ message: `${name} is empty: set it, or unset it` })
      }
    }
    const adminKey = yield* Config.Redacted("BOXOFFICE_ADMIN_KEY").pipe(Config.option)
    const configuredSecret = yield* Config.Redacted("BOXOFFICE_SECRET").pipe(Config.option)
    if (store === "postgres" && Option.isNone(databaseUrl)) {
      return yield* new ServerConfigError({ message: "BOXOFFICE_STORE=postgres needs DATABASE_URL" })
    }
    // Instances that share a store must share the secret; alone in memory, a random one per start will do.
    if (store === "postgres" && Option.isNone(configuredSecret)) {
      return yield* new ServerConfigError({ message: "BOXOFFICE_STORE=postgres needs BOXOFFICE_SECRET" })
    }
    if (
      Option.isSome(configuredSecret) &&
      new TextEncoder().encode(Redacted.value(configuredSecret.value)).length < secretBytesMin
    ) {
      return yield* new ServerConfigError({ message: `BOXOFFICE_SECRET must be at least ${secretBytesMin} bytes` })
    }
    const previousSecret = yield* Config.Redacted("BOXOFFICE_SECRET_PREVIOUS").pipe(Config.option)
    if (Option.isSome(previousSecret) && Option.isNone(configuredSecret)) {
      return yield* new ServerConfigError({ message: "BOXOFFICE_SECRET_PREVIOUS needs BOXOFFICE_SECRET" })
    }
    if (
      Option.isSome(previousSecret) &&
      new TextEncoder().encode(Redacted.value(previousSecret.value)).length < secretBytesMin
    ) {
      return yield* new ServerConfigError({
        message: `BOXOFFICE_SECRET_PREVIOUS must be at least ${secretBytesMin} bytes`
      })
    }
    const jwt = yield* Effect.catchTag(jwtConfig, "JwtConfigError", ({ message }) =>
      Effect.fail(new ServerConfigError({ message }))
    )
    const webhook = yield* Effect.catchTag(webhookConfig, "WebhookConfigError", ({ message }) =>
      Effect.fail(new ServerConfigError({ message }))
    )
    if (Option.isSome(adminKey) && Redacted.value(adminKey.value).length < adminKeyLengthMin) {
      return yield* new ServerConfigError({
        message: `BOXOFFICE_ADMIN_KEY must be at least ${adminKeyLengthMin} characters`
      })
    }
    const accessLog = yield* Config.Literals(["all", "errors"], "BOXOFFICE_ACCESS_LOG").pipe(
      Config.withDefault("errors" as const)
    )
    const requestMetrics = yield* Config.Boolean("BOXOFFICE_REQUEST_METRICS").pipe(Config.withDefault(true))
    const bound = (name: string, fallback: number, min: number, max: number) =>
      Effect.flatMap(Config.Int(name).pipe(Config.withDefault(fallback)), (value) =>
        value >= min && value <= max
          ? Effect.succeed(value)
          : Effect.fail(new ServerConfigError({ message: `${name} must be between ${min} and ${max}` }))
      )
    const listener: Listener = {
      host: yield* Config.String("HOST").pipe(Config.withDefault(listenerDefaults.host)),
      headersTimeoutMs: yield* bound("BOXOFFICE_HEADERS_TIMEOUT_MS", listenerDefaults.headersTimeoutMs, 1_000, 120_000),
      requestTimeoutMs: yield* bound("BOXOFFICE_REQUEST_TIMEOUT_MS", listenerDefaults.requestTimeoutMs, 1_000, 600_000),
      keepAliveTimeoutMs: yield* bound(
        "BOXOFFICE_KEEP_ALIVE_TIMEOUT_MS",
        listenerDefaults.keepAliveTimeoutMs,
        1_000,
        120_000
      ),
      maxConnections: yield* bound("BOXOFFICE_MAX_CONNECTIONS", listenerDefaults.maxConnections, 1, 1_000_000)
    }
    const walletCharges = yield* Config.Literals(["open", "admin"], "BOXOFFICE_WALLET_CHARGES").pipe(
      Config.withDefault(Option.isSome(jwt) ? ("admin" as const) : ("open" as const))
    )
    const humanCheck = yield* Config.Literals(["altcha", "off"], "BOXOFFICE_HUMAN_CHECK").pipe(
      Config.withDefault("off" as const)
    )
    const rateLimitsText = yield* Config.String("BOXOFFICE_RATE_LIMITS").pipe(Config.withDefault(""))
    const rateLimits = RateLimitSettings.parse(rateLimitsText)
    if (Result.isFailure(rateLimits)) {
      return yield* new ServerConfigError({ message: `BOXOFFICE_RATE_LIMITS: ${rateLimits.failure}` })
    }
    const trustedProxies = (yield* Config.String("BOXOFFICE_TRUST_PROXY").pipe(Config.withDefault("")))
      .split(",")
      .map((proxy) => proxy.trim())
      .filter((proxy) => proxy !== "")
    if (listener.headersTimeoutMs > listener.requestTimeoutMs) {
      return yield* new ServerConfigError({
        message: "BOXOFFICE_HEADERS_TIMEOUT_MS may not exceed BOXOFFICE_REQUEST_TIMEOUT_MS"
      })
    }
    const logLevel = yield* Config.LogLevel("BOXOFFICE_LOG_LEVEL").pipe(Config.withDefault("Info" as const))
    const workers = yield* Config.Int("BOXOFFICE_WORKERS").pipe(Config.withDefault(1))
    if (workers < 1 || workers > 64) {
      return yield* new ServerConfigError({ message: "BOXOFFICE_WORKERS must be between 1 and 64" })
    }
    // Each process of a memory server would hold its own seats and queue: two sales, not one.
    if (workers > 1 && (store === "memory" || (Option.isNone(redisUrl) && Option.isNone(redisClusterNodes)))) {
      return yield* new ServerConfigError({
        message:
          "BOXOFFICE_WORKERS > 1 needs shared stores (BOXOFFICE_STORE=postgres and REDIS_URL or REDIS_CLUSTER_NODES): memory state is per process"
      })
    }
    const secret = Option.getOrElse(configuredSecret, () => Redacted.make(randomSecret()))
    const demo = yield* Config.Boolean("BOXOFFICE_DEMO").pipe(Config.withDefault(store === "memory"))
    return {
      port,
      store,
      databaseUrl,
      postgresPoolSize,
      postgresSchema,
      redisUrl,
      redisClusterNodes,
      redisKeyPrefix,
      lineStalenessMs,
      secret,
      previousSecret,
      jwt,
      adminKey,
      demo,
      otlpEndpoint,
      accessLog,
      requestMetrics,
      listener,
      humanCheck,
      walletCharges,
      rateLimits: rateLimits.success,
      trustedProxies,
      logLevel,
      workers,
      webhook
    }
  }
)
