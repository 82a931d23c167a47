/**
 * The server's configuration, from the environment only (docs/spec.md, Server configuration).
 * Secrets are `Redacted` and never logged.
 */
import { Config, Effect, Option, Redacted, Schema } from "effect"

/** A configuration that cannot run: said at start, before anything listens. */
export class ServerConfigError extends Schema.TaggedError<ServerConfigError>()("ServerConfigError", {
  message: Schema.String
}) {}

/** The shortest signing secret the server accepts: 32 bytes, the HMAC-SHA256 key size. */
export const secretBytesMin = 32
/** The shortest admin key the server accepts. */
export const adminKeyLengthMin = 16

/** 32 random bytes, hex: the secret of a lone in-memory instance. */
const randomSecret = () =>
  Array.from(globalThis.crypto.getRandomValues(new Uint8Array(32)), (byte) => byte.toString(16).padStart(2, "0")).join("")

export interface ServerConfig {
  readonly port: number
  readonly store: "memory" | "postgres"
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  /** Connections in this instance's Postgres pool (`BOXOFFICE_PG_POOL`, default 20). */
  readonly postgresPoolSize: number
  readonly redisUrl: Option.Option<Redacted.Redacted<string>>
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  readonly redisKeyPrefix: string
  readonly secret: Redacted.Redacted<string>
  readonly adminKey: Option.Option<Redacted.Redacted<string>>
  readonly demo: boolean
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: spans are exported over OTLP/HTTP when set. */
  readonly otlpEndpoint?: Option.Option<string>
}

export const serverConfig: Effect.Effect<ServerConfig, Config.ConfigError | ServerConfigError> = Effect.gen(function*() {
  const port = yield* Config.Port("PORT").pipe(Config.withDefault(3000))
  const store = yield* Config.Literals(["memory", "postgres"], "BOXOFFICE_STORE").pipe(Config.withDefault("memory" as const))
  const databaseUrl = yield* Config.Redacted("DATABASE_URL").pipe(Config.option)
  const redisUrl = yield* Config.Redacted("REDIS_URL").pipe(Config.option)
  const postgresPoolSize = yield* Config.Int("BOXOFFICE_PG_POOL").pipe(Config.withDefault(20))
  if (postgresPoolSize < 1 || postgresPoolSize > 500) {
    return yield* new ServerConfigError({ message: "BOXOFFICE_PG_POOL must be between 1 and 500" })
  }
  const redisKeyPrefix = yield* Config.String("BOXOFFICE_REDIS_PREFIX").pipe(Config.withDefault("boxoffice:"))
  const otlpEndpoint = yield* Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT"))
  const adminKey = yield* Config.Redacted("BOXOFFICE_ADMIN_KEY").pipe(Config.option)
  const configuredSecret = yield* Config.Redacted("BOXOFFICE_SECRET").pipe(Config.option)
  if (store === "postgres" && Option.isNone(databaseUrl)) {
    return yield* new ServerConfigError({ message: "BOXOFFICE_STORE=postgres needs DATABASE_URL" })
  }
  // Instances that share a store must share the secret; alone in memory, a random one per start will do.
  if (store === "postgres" && Option.isNone(configuredSecret)) {
    return yield* new ServerConfigError({ message: "BOXOFFICE_STORE=postgres needs BOXOFFICE_SECRET" })
  }
  if (Option.isSome(configuredSecret) && new TextEncoder().encode(Redacted.value(configuredSecret.value)).length < secretBytesMin) {
    return yield* new ServerConfigError({ message: `BOXOFFICE_SECRET must be at least ${secretBytesMin} bytes` })
  }
  if (Option.isSome(adminKey) && Redacted.value(adminKey.value).length < adminKeyLengthMin) {
    return yield* new ServerConfigError({ message: `BOXOFFICE_ADMIN_KEY must be at least ${adminKeyLengthMin} characters` })
  }
  const secret = Option.getOrElse(configuredSecret, () => Redacted.make(randomSecret()))
  const demo = yield* Config.Boolean("BOXOFFICE_DEMO").pipe(Config.withDefault(store === "memory"))
  return { port, store, databaseUrl, postgresPoolSize, redisUrl, redisKeyPrefix, secret, adminKey, demo, otlpEndpoint }
})
