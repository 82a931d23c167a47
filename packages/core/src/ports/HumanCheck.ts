/**
 * Port: the human check at the door of a sale's queue. A script that makes
 * accounts and joins as fast as it can takes every place of a sale; a check
 * that costs a person a moment and a script that moment per join (a proof of
 * work, Turnstile, hCaptcha) makes the script pay for each place. The host
 * plugs its own; without one, `joinQueue` checks nothing.
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer } from "effect"
import type { HumanCheckFailed, Unavailable } from "../Errors.ts"

/**
 * Judges the proof a joining client sent (its `Human-Check` header over
 * HTTP), or its absence. A proof is accepted once: the implementation
 * remembers the ones it accepted for as long as they could be replayed.
 *
 * @example
 * ```ts
 * import { HumanCheck } from "@boxoffice/core"
 * import { Effect } from "effect"
 * const open = HumanCheck.layerNone // every join passes
 * const check = HumanCheck.use((human) => human.verify(null))
 * ```
 * @category ports
 */
export class HumanCheck extends Context.Service<
  HumanCheck,
  {
    readonly verify: (proof: string | null) => Effect.Effect<void, HumanCheckFailed | Unavailable>
  }
>()("@boxoffice/core/HumanCheck") {
  /** No check: every join passes. What `Booking` does when no `HumanCheck` is provided. */
  static readonly layerNone = Layer.succeed(HumanCheck, HumanCheck.of({ verify: () => Effect.void }))
}
