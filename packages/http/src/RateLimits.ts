/**
 * Rate limits on the calls a script would repeat to take a sale: account
 * creation, joins, holds, charges, payments (per client address or per user)
 * and failed admin-key checks (per address). The counters are core's
 * `RateLimitCounters` port: in this process (`@boxoffice/memory`), or in Redis
 * so that every instance shares them (`@boxoffice/redis`).
 *
 * `RateLimitGate` decides a call against its limits, by the endpoint the
 * router matched (never by the URL's spelling): HttpApi's `RateLimited`
 * middleware and the example server's queue shortcut ask the same `check`,
 * and the admin key's middleware counts attempts.
 *
 * @since 0.2.0
 */
import { Identity, type RateLimit, RateLimitCounters, type UserId } from "@boxoffice/core"
import { Context, Effect, Layer, Result } from "effect"
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

/** The endpoints that limits count, by the names of `BoxofficeApi`. @category models */
export type LimitedEndpoint = "createUser" | "joinQueue" | "hold" | "charge" | "pay"

/** Which limits a call counts against: by client address, and by user once it names one. */
interface EndpointLimits {
  readonly perAddress: ReadonlyArray<RateLimitName>
  readonly perUser: ReadonlyArray<RateLimitName>
}

const endpointLimits: Readonly<Record<LimitedEndpoint, EndpointLimits>> = {
  createUser: { perAddress: ["accountsPerAddress"], perUser: [] },
  joinQueue: { perAddress: ["joinsPerAddress"], perUser: ["joinsPerUser"] },
  hold: { perAddress: [], perUser: ["holdsPerUser"] },
  charge: { perAddress: [], perUser: ["chargesPerUser"] },
  pay: { perAddress: [], perUser: ["paymentsPerUser"] }
}

const passes: Effect.Effect<RateLimitRefusal | undefined> = Effect.succeed(undefined)

/**
 * The gate: decides each call against its limits, over core's
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
    /** Whether any limit counts calls of `endpoint`; the others pass at once and need no address. */
    readonly counts: (endpoint: string) => boolean
    /** The refusal of the first spent limit of this call, counting it against each; undefined when it may go on. */
    readonly check: (
      endpoint: string,
      clientAddress: string,
      authorization: string | undefined
    ) => Effect.Effect<RateLimitRefusal | undefined>
    /**
     * Counts an admin-key attempt from `clientAddress` before the key is compared, so that a burst of
     * guesses cannot run ahead of the count; a refusal once the address spent its attempts.
     */
    readonly adminAttempt: (clientAddress: string) => Effect.Effect<RateLimitRefusal | undefined>
    /** Gives the attempt back: the key was right, and only wrong keys count. */
    readonly adminSucceeded: (clientAddress: string) => Effect.Effect<void>
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

        /** Counts one call against `name` for `key`; its refusal when the window is spent. */
        const consume = (name: RateLimitName, key: string): Effect.Effect<RateLimitRefusal | undefined> => {
          const limit = settings[name]
          if (limit === null) return passes
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
            // The endpoint itself answers a caller it cannot authenticate; no user, no per-user count.
            Effect.catch(() => Effect.succeed(undefined))
          )

        /** Each endpoint's limits that `settings` keeps; an endpoint with none left is absent. */
        const active = new Map<string, EndpointLimits>()
        for (const [endpoint, limits] of Object.entries(endpointLimits)) {
          const kept = (names: ReadonlyArray<RateLimitName>) => names.filter((name) => settings[name] !== null)
          const perAddress = kept(limits.perAddress)
          const perUser = kept(limits.perUser)
          if (perAddress.length + perUser.length > 0) active.set(endpoint, { perAddress, perUser })
        }
        const adminLimit = settings.adminFailuresPerAddress

        return RateLimitGate.of({
          clientAddress: clientAddressOf(options.trustedProxies),
          counts: (endpoint) => active.has(endpoint),
          check: (endpoint, clientAddress, authorization) => {
            const limits = active.get(endpoint)
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
          adminAttempt: (clientAddress) => consume("adminFailuresPerAddress", clientAddress),
          adminSucceeded: (clientAddress) =>
            adminLimit === null ? Effect.void : counters.giveBack("adminFailuresPerAddress", adminLimit, clientAddress)
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
      adminAttempt: () => passes,
      adminSucceeded: () => Effect.void
    })
  )
}
