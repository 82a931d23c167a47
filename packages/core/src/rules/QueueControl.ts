/**
 * The operator's controls over a running queue: the settings in force start
 * as the concert's policy, and each change replaces the fields it gives.
 * Stores apply these inside their atomic step (the Redis scripts mirror
 * them; the contract suite proves the two agree).
 *
 * @since 0.2.0
 */
import type { QueuePolicy } from "../model/Concert.ts"
import { QueueSettings, type QueueSettingsChange } from "../model/QueueSettings.ts"

/**
 * The settings a queue runs under before any change: its concert's policy, not paused.
 *
 * @example
 * ```ts
 * import { QueuePolicy, settingsFromPolicy } from "@boxoffice/core"
 * settingsFromPolicy(QueuePolicy.default).paused // false
 * ```
 * @category rules
 */
export const settingsFromPolicy = (policy: QueuePolicy): QueueSettings =>
  new QueueSettings({
    maxActive: policy.maxActive,
    activeSeconds: policy.activeSeconds,
    admitPerMinute: policy.admitPerMinute,
    paused: false
  })

/**
 * `current` with each field that `change` gives replaced.
 *
 * @example
 * ```ts
 * import { applySettingsChange, QueuePolicy, QueueSettingsChange, settingsFromPolicy } from "@boxoffice/core"
 * applySettingsChange(settingsFromPolicy(QueuePolicy.default), new QueueSettingsChange({ paused: true })).paused // true
 * ```
 * @category rules
 */
export const applySettingsChange = (current: QueueSettings, change: QueueSettingsChange): QueueSettings =>
  new QueueSettings({
    maxActive: change.maxActive ?? current.maxActive,
    activeSeconds: change.activeSeconds ?? current.activeSeconds,
    admitPerMinute: change.admitPerMinute !== undefined ? change.admitPerMinute : current.admitPerMinute,
    paused: change.paused ?? current.paused
  })
