/**
 * Rate limits on the calls a script would repeat to take a sale: account
 * creation, joins, holds, charges, payments (per client address or per user)
 * and failed admin-key checks (per address). The counters are core's
 * `RateLimitCounters` port: in this process (`@boxoffice/memory`), or in Redis
 * so that every instance shares them (`@boxoffice/redis`).
 *
 * `RateLimitGate` decides a request against its limits. One gate serves every
 * path a request can take: the router's middleware (`RateLimitGate.middleware`)
 * and the example server's queue shortcut ask the same `check`.
 *
 * @since 0.2.0
 */
import { Identity, type RateLimit, RateLimitCounters, type UserId } from "@boxoffice/core"
import { Context, Effect, Layer, Option, Result } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { type ClientAddressOf, clientAddressOf } from "./ClientAddress.ts"
import { bearerCredential } from "./internal/EffectInternals.ts"
import { transportProblem } from "./TransportProblems.ts"

/** The limits, each counted per client address or per user. @category models */
export const rateLimitNames = [
  "accountsPerAddress",
  "joinsPerAddress",
  "joinsPerUser",
  "holdsPerUser",
  "chargesPerUser",
  "paymentsPerUser",
  "adminFailuresPerAddress"
] as const

/** @category models */
export type RateLimitName = (typeof rateLimitNames)[number]

/** Every limit, or `null` where there is none. @category models */
export type RateLimitSettings = { readonly [Name in RateLimitName]: RateLimit | null }

const perMinute = (points: number): RateLimit => ({ points, windowSeconds: 60 })

/** What one limit may be: enough for a person, far too little for a script. */
const pointsMax = 1_000_000
const windowSecondsMax = 86_400

/**
 * The limits' defaults and their text form (`BOXOFFICE_RATE_LIMITS`).
 *
 * @example
 * ```ts
 * import { RateLimitSettings } from "@boxoffice/http"
 * RateLimitSettings.parse("joinsPerAddress=120/60s,holdsPerUser=off") // a Result
 * ```
 * @category constructors
 */
export const RateLimitSettings = {
  /**
   * A real sale's: from one address, 20 accounts and 60 joins a minute
   * (a household or an office behind one address joins a few times over);
   * per user, 30 joins, holds, charges and payments a minute (a person
   * clicks, a script loops); 10 wrong admin keys a minute from one address.
   */
  defaults: {
    accountsPerAddress: perMinute(20),
    joinsPerAddress: perMinute(60),
    joinsPerUser: perMinute(30),
    holdsPerUser: perMinute(30),
    chargesPerUser: perMinute(30),
    paymentsPerUser: perMinute(30),
    adminFailuresPerAddress: perMinute(10)
  } satisfies RateLimitSettings as RateLimitSettings,
  /** No limit at all: for load tests. */
  off: Object.fromEntries(rateLimitNames.map((name) => [name, null])) as unknown as RateLimitSettings,
  /**
   * `off`, or a comma-separated list of `name=points/windows` or `name=off`
   * over the defaults (`joinsPerAddress=120/60s,holdsPerUser=off`).
   */
  parse: (text: string): Result.Result<RateLimitSettings, string> => {
    if (text.trim() === "off") return Result.succeed(RateLimitSettings.off)
    const settings: Record<string, RateLimit | null> = { ...RateLimitSettings.defaults }
    for (const part of text
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "")) {
      const match = /^([A-Za-z]+)=(?:off|(\d+)\/(\d+)s)$/.exec(part)
      if (match === null || !(rateLimitNames as ReadonlyArray<string>).includes(match[1]!)) {
        return Result.fail(
          `"${part}" is not name=points/<seconds>s or name=off, with a name of ${rateLimitNames.join(", ")}`
        )
      }
      if (match[2] === undefined) {
        settings[match[1]!] = null
        continue
      }
      const limit = { points: Number(match[2]), windowSeconds: Number(match[3]) }
      if (
        limit.points < 1 ||
        limit.points > pointsMax ||
        limit.windowSeconds < 1 ||
        limit.windowSeconds > windowSecondsMax
      ) {
        return Result.fail(`"${part}": points 1..${pointsMax} per 1..${windowSecondsMax} seconds`)
      }
      settings[match[1]!] = limit
    }
    return Result.succeed(settings as RateLimitSettings)
  }
}

/** A request refused by one of its limits. @category models */
export interface RateLimitRefusal {
  readonly name: RateLimitName
  readonly limit: RateLimit
  readonly retryAfterSeconds: number
}

/**
 * The answer to a refused request: `429 rate-limited`, with `Retry-After`
 * and the IETF `RateLimit-Policy` and `RateLimit` fields
 * (draft-ietf-httpapi-ratelimit-headers).
 *
 * @category constructors
 */
export const rateLimitedAnswer = (refusal: RateLimitRefusal) => ({
  status: 429,
  headers: {
    "retry-after": String(refusal.retryAfterSeconds),
    "ratelimit-policy": `"${refusal.name}";q=${refusal.limit.points};w=${refusal.limit.windowSeconds}`,
    ratelimit: `"${refusal.name}";r=0;t=${refusal.retryAfterSeconds}`
  },
  body: JSON.stringify(
    transportProblem(
      "rate-limited",
      `at most ${refusal.limit.points} of these per ${refusal.limit.windowSeconds} s (${refusal.name}); retry in ${refusal.retryAfterSeconds} s`
    )
  )
})

/** Which limits a request counts against: by client address, and by user once it names one. */
interface RouteLimits {
  readonly perAddress: ReadonlyArray<RateLimitName>
  readonly perUser: ReadonlyArray<RateLimitName>
}

const routeLimits: ReadonlyArray<readonly [RegExp, RouteLimits]> = [
  [/^\/users$/, { perAddress: ["accountsPerAddress"], perUser: [] }],
  [/^\/concerts\/[^/]+\/queue$/, { perAddress: ["joinsPerAddress"], perUser: ["joinsPerUser"] }],
  [/^\/dates\/[^/]+\/holds$/, { perAddress: [], perUser: ["holdsPerUser"] }],
  [/^\/wallet\/charges$/, { perAddress: [], perUser: ["chargesPerUser"] }],
  [/^\/holds\/[^/]+\/payment$/, { perAddress: [], perUser: ["paymentsPerUser"] }]
]

/** The admin routes, which an address that spent its wrong keys may not try again until its window ends. */
const isAdminPath = (path: string) => path.startsWith("/admin/") || path === "/metrics"

/** The routes' limits that `settings` keeps (a route with none left is dropped). */
const activeRouteLimits = (settings: RateLimitSettings) =>
  routeLimits
    .map(([pattern, limits]) => {
      const active = (names: ReadonlyArray<RateLimitName>) => names.filter((name) => settings[name] !== null)
      return [pattern, { perAddress: active(limits.perAddress), perUser: active(limits.perUser) }] as const
    })
    .filter(([, limits]) => limits.perAddress.length + limits.perUser.length > 0)

const passes: Effect.Effect<RateLimitRefusal | undefined> = Effect.succeed(undefined)

/**
 * The gate: decides each request against its limits, over core's
 * `RateLimitCounters` and `Identity` (for the per-user limits).
 *
 * @example
 * ```ts
 * import { RateLimitGate, RateLimitSettings } from "@boxoffice/http"
 * const gate = RateLimitGate.layer(RateLimitSettings.defaults, { trustedProxies: [] })
 * ```
 * @category services
 */
export class RateLimitGate extends Context.Service<
  RateLimitGate,
  {
    /** The client address of a request, as the limits count it. */
    readonly clientAddress: ClientAddressOf
    /** Whether any limit counts this request; most pass at once (polls, reads), and need no address. */
    readonly counts: (method: string, path: string) => boolean
    /** The refusal of the first spent limit of this request, counting it against each; undefined when it may go on. */
    readonly check: (
      method: string,
      path: string,
      clientAddress: string,
      authorization: string | undefined
    ) => Effect.Effect<RateLimitRefusal | undefined>
    /** A refusal when this address has spent its wrong admin keys: even a right key waits out the window. */
    readonly adminBlocked: (clientAddress: string) => Effect.Effect<RateLimitRefusal | undefined>
    /** Counts a wrong admin key against its address. */
    readonly adminFailed: (clientAddress: string) => Effect.Effect<void>
  }
>()("@boxoffice/http/RateLimitGate") {
  static readonly layer = (settings: RateLimitSettings, options: { readonly trustedProxies: ReadonlyArray<string> }) =>
    Layer.effect(
      RateLimitGate,
      Effect.gen(function* () {
        const counters = yield* RateLimitCounters
        const identity = yield* Identity
        const refusalOf = (name: RateLimitName, limit: RateLimit, resetInMs: number): RateLimitRefusal => ({
          name,
          limit,
          retryAfterSeconds: Math.max(1, Math.ceil(resetInMs / 1000))
        })

        /** Counts one request against `name` for `key`; its refusal when the window is spent. */
        const consume = (name: RateLimitName, key: string): Effect.Effect<RateLimitRefusal | undefined> => {
          const limit = settings[name]
          if (limit === null) return Effect.succeed(undefined)
          return Effect.map(counters.take(name, limit, key), (count) =>
            count.refused ? refusalOf(name, limit, count.resetInMs) : undefined
          )
        }

        /** The first refusal; the limits after it are not counted. */
        const firstRefusal = (checks: ReadonlyArray<Effect.Effect<RateLimitRefusal | undefined>>) =>
          Effect.gen(function* () {
            for (const check of checks) {
              const refusal = yield* check
              if (refusal !== undefined) return refusal
            }
            return undefined
          })

        const userOf = (authorization: string | undefined): Effect.Effect<UserId | undefined> =>
          bearerCredential(authorization).pipe(
            Effect.flatMap((credential) => identity.authenticate(credential)),
            // The route itself answers a caller it cannot authenticate; no user, no per-user count.
            Effect.catch(() => Effect.succeed(undefined))
          )

        const adminBlocked = (clientAddress: string): Effect.Effect<RateLimitRefusal | undefined> => {
          const limit = settings.adminFailuresPerAddress
          if (limit === null) return Effect.succeed(undefined)
          return Effect.map(counters.look("adminFailuresPerAddress", limit, clientAddress), (count) =>
            count.refused ? refusalOf("adminFailuresPerAddress", limit, count.resetInMs) : undefined
          )
        }

        const routes = activeRouteLimits(settings)
        const adminLimited = settings.adminFailuresPerAddress !== null
        /** Only writes count; every other request passes the gate at once. */
        const limitsOf = (method: string, path: string): RouteLimits | undefined => {
          if (method !== "POST" || routes.length === 0) return undefined
          for (const [pattern, limits] of routes) if (pattern.test(path)) return limits
          return undefined
        }
        const counts = (method: string, path: string) =>
          isAdminPath(path) ? adminLimited : limitsOf(method, path) !== undefined

        return RateLimitGate.of({
          clientAddress: clientAddressOf(options.trustedProxies),
          counts,
          check: (method, path, clientAddress, authorization) => {
            if (isAdminPath(path)) return adminLimited ? adminBlocked(clientAddress) : passes
            const limits = limitsOf(method, path)
            if (limits === undefined) return passes
            const byAddress = limits.perAddress.map((name) => consume(name, clientAddress))
            if (limits.perUser.length === 0) return firstRefusal(byAddress)
            return Effect.flatMap(userOf(authorization), (userId) =>
              firstRefusal(
                userId === undefined
                  ? byAddress
                  : [...byAddress, ...limits.perUser.map((name) => consume(name, userId))]
              )
            )
          },
          adminBlocked,
          adminFailed: (clientAddress) => Effect.asVoid(consume("adminFailuresPerAddress", clientAddress))
        })
      })
    )

  /** A gate that lets everything through. */
  static readonly layerOff = Layer.succeed(
    RateLimitGate,
    RateLimitGate.of({
      clientAddress: clientAddressOf([]),
      counts: () => false,
      check: () => passes,
      adminBlocked: () => Effect.succeed(undefined),
      adminFailed: () => Effect.void
    })
  )

  /** The gate as a global router middleware: a refused request is answered 429 before any route runs. */
  /**
   * The gate as a global router middleware: a refused request is answered 429
   * before any route runs. Without a `RateLimitGate` in context, it lets
   * everything through: limits are the host's choice.
   */
  static readonly middleware = HttpRouter.middleware(
    (httpEffect) =>
      Effect.flatMap(Effect.serviceOption(RateLimitGate), (found) => {
        if (Option.isNone(found)) return httpEffect
        const gate = found.value
        return Effect.flatMap(
          HttpServerRequest.HttpServerRequest.useSync((request) => request),
          (request) => {
            const path = request.url.split("?")[0]!
            if (!gate.counts(request.method, path)) return httpEffect
            const address = gate.clientAddress(
              Option.getOrUndefined(request.remoteAddress),
              request.headers["x-forwarded-for"]
            )
            return Effect.flatMap(
              gate.check(request.method, path, address, request.headers["authorization"]),
              (refusal) => {
                if (refusal === undefined) return httpEffect
                const answer = rateLimitedAnswer(refusal)
                return Effect.succeed(
                  HttpServerResponse.text(answer.body, {
                    status: answer.status,
                    contentType: "application/problem+json",
                    headers: answer.headers
                  })
                )
              }
            )
          }
        )
      }),
    { global: true }
  )
}
