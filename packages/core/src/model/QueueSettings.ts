/**
 * The settings a queue runs under now. They start as the concert's queue
 * policy and change while the sale runs (the operator's controls); they
 * live with the queue, so every instance reads them in the same step that
 * admits.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import { Limits } from "./Limits.ts"

const intBetween = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/** The settings in force. @category models */
export class QueueSettings extends Schema.Class<QueueSettings>("@boxoffice/core/QueueSettings")({
  maxActive: intBetween(1, Limits.maxActiveMax),
  activeSeconds: intBetween(Limits.activeSecondsMin, Limits.activeSecondsMax),
  /** `null` means no rate cap. */
  admitPerMinute: Schema.NullOr(intBetween(1, Limits.admitPerMinuteMax)),
  /** While paused nobody is admitted, and nobody loses a place. */
  paused: Schema.Boolean
}) {}

/**
 * A change to the settings: each field given replaces the one in force. A
 * new `activeSeconds` applies to admissions from then on.
 *
 * @category models
 */
export class QueueSettingsChange extends Schema.Class<QueueSettingsChange>("@boxoffice/core/QueueSettingsChange")({
  maxActive: Schema.optionalKey(intBetween(1, Limits.maxActiveMax)),
  activeSeconds: Schema.optionalKey(intBetween(Limits.activeSecondsMin, Limits.activeSecondsMax)),
  admitPerMinute: Schema.optionalKey(Schema.NullOr(intBetween(1, Limits.admitPerMinuteMax))),
  paused: Schema.optionalKey(Schema.Boolean)
}) {}
