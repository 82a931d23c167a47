/**
 * The JSON bodies of the queue shortcut's success answers, written
 * directly: encoding a status through its Schema class was the largest
 * single share of a poll's own work.
 *
 * Each writer emits exactly what `JSON.stringify` of the response schema's
 * encoding emits: the same keys in the schema's order, instants as
 * `DateTime.formatIso`. `test/AnswerJson.test.ts` holds them to that for
 * arbitrary values and fails when a schema gains or loses a field. The
 * values come from the engine, which built them from checked records, so
 * the schema's checks would find nothing to refuse.
 *
 * @since 0.2.0
 * @internal
 */
import { DateTime } from "effect"

const instant = (value: DateTime.Utc | null): string | null => (value === null ? null : DateTime.formatIso(value))

/** The fields of a `QueueStatusResponse`. */
export interface StatusFields {
  readonly status: "pending" | "waiting" | "active" | "expired" | "sold-out"
  readonly position: number | null
  readonly etaSeconds: number | null
  readonly activeUntil: DateTime.Utc | null
  readonly opensAt: DateTime.Utc | null
}

/** The status fields in the schema's order, instants as the schema writes them. */
const statusObject = (fields: StatusFields) => ({
  status: fields.status,
  position: fields.position,
  etaSeconds: fields.etaSeconds,
  activeUntil: instant(fields.activeUntil),
  opensAt: instant(fields.opensAt)
})

/** A `QueueStatusResponse`. */
export const statusJson = (fields: StatusFields): string => JSON.stringify(statusObject(fields))

/** A `QueueJoined` or `QueueRejoined`: the queue token, then the status fields. */
export const ticketJson = (fields: StatusFields & { readonly queueToken: string }): string =>
  JSON.stringify({ queueToken: fields.queueToken, ...statusObject(fields) })
