/**
 * The human check at the door, self-hosted: ALTCHA's proof of work
 * (`altcha-lib` on the server, the `altcha` widget on the demo page, no
 * third party). `GET /human-check/challenge` hands out a challenge signed
 * with a key derived from the server's secret, so every instance accepts
 * every other's; a join carries the widget's answer in its `Human-Check`
 * header. A proof is accepted once, across instances: its challenge's
 * signature is counted against a limit of one use (core's
 * `RateLimitCounters`, in Redis when the queue is there) for as long as the
 * challenge lives and a minute more. While Redis is away the counters fall
 * back to each instance's memory, so a proof could then be spent once per
 * instance.
 */
import { HumanCheck, HumanCheckFailed, RateLimitCounters } from "@boxoffice/core"
import { createChallenge, randomInt, verifySolution } from "altcha-lib"
import { deriveKey } from "altcha-lib/algorithms/sha"
import { Clock, Effect, Layer, Redacted, Schema } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { createHmac } from "node:crypto"

/** How hard a challenge is, and how long it lives. */
export interface AltchaOptions {
  /** The signing key is derived from this (the server's own secret). */
  readonly secret: Redacted.Redacted<string>
  /**
   * The solver tries counters from 0 until it finds the one the server
   * picked, uniformly at random in `counterMin..counterMax`: the work per
   * join, on average the middle of the range (SHA-256 hashes).
   */
  readonly counterMin: number
  readonly counterMax: number
  /** How long a challenge may be answered, and a used one remembered. */
  readonly expiresSeconds: number
}

/**
 * A browser solves the default in about a second; a script pays the same
 * hashes for every join, since the range starts at 0 and a solver cannot
 * skip any of it (docs/performance.md gives the measured cost).
 */
export const altchaDefaults = { counterMin: 0, counterMax: 150_000, expiresSeconds: 300 } as const

const algorithm = "SHA-256"

/**
 * The widget's answer: a challenge this server signed and the counter that solves it. The challenge's
 * parameters are kept whole, since the signature covers every one of them, including any that a later
 * altcha-lib adds.
 */
const Proof = Schema.fromJsonString(
  Schema.Struct({
    challenge: Schema.Struct({ parameters: Schema.Record(Schema.String, Schema.Unknown), signature: Schema.String }),
    solution: Schema.Record(Schema.String, Schema.Unknown)
  })
)
const decodeProof = Schema.decodeUnknownEffect(Proof)

/** A proof is at most this long: the widget's is a few hundred bytes. */
const proofLengthMax = 4_096

const failed = (detail: string) => new HumanCheckFailed({ detail })

const signingKeyOf = (secret: Redacted.Redacted<string>) =>
  createHmac("sha256", Redacted.value(secret)).update("boxoffice/human-check").digest("base64url")

/**
 * The check (core's `HumanCheck`) and the route that hands out challenges.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * const human = AltchaHumanCheck.layer({ secret: Redacted.make("a secret of at least 32 bytes…"), ...altchaDefaults })
 * ```
 */
export const AltchaHumanCheck = {
  layer: (options: AltchaOptions): Layer.Layer<HumanCheck, never, RateLimitCounters> =>
    Layer.effect(
      HumanCheck,
      Effect.gen(function* () {
        const counters = yield* RateLimitCounters
        const hmacSignatureSecret = signingKeyOf(options.secret)
        // Remembered a minute past the challenge's own life: instances' clocks judge expiry, Redis the memory.
        const once = { points: 1, windowSeconds: options.expiresSeconds + 60 }
        return HumanCheck.of({
          verify: (proof) =>
            Effect.gen(function* () {
              if (proof === null || proof === "")
                return yield* failed("a join needs the Human-Check header: solve a challenge first")
              if (proof.length > proofLengthMax) return yield* failed("the proof is too long")
              const text = Buffer.from(proof, "base64").toString("utf8")
              const payload = yield* Effect.mapError(decodeProof(text), () =>
                failed("the proof is not an ALTCHA answer")
              )
              const result = yield* Effect.promise(() =>
                verifySolution({
                  challenge: payload.challenge as unknown as Parameters<typeof verifySolution>[0]["challenge"],
                  solution: payload.solution as unknown as Parameters<typeof verifySolution>[0]["solution"],
                  deriveKey,
                  hmacSignatureSecret
                }).catch(() => ({ verified: false, expired: false }))
              )
              if (result.expired) return yield* failed("the challenge expired: solve a new one")
              if (!result.verified) return yield* failed("the proof does not solve the challenge")
              const used = yield* counters.take("humanCheckProofs", once, payload.challenge.signature)
              if (used.refused) return yield* failed("this proof was used already: solve a new challenge")
            })
        })
      })
    ),

  /** `GET /human-check/challenge`: a new challenge, for the widget. */
  challengeRoute: (options: AltchaOptions) => {
    const hmacSignatureSecret = signingKeyOf(options.secret)
    return HttpRouter.add(
      "GET",
      "/human-check/challenge",
      Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
        Effect.map(
          Effect.promise(() =>
            createChallenge({
              algorithm,
              cost: 1,
              counter: randomInt(options.counterMax, options.counterMin),
              deriveKey,
              hmacSignatureSecret,
              expiresAt: Math.floor(nowMs / 1000) + options.expiresSeconds
            })
          ),
          (challenge) => HttpServerResponse.jsonUnsafe(challenge, { headers: { "cache-control": "no-store" } })
        )
      )
    )
  }
}
