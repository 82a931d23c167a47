/**
 * The JSON bodies of the hot routes' success answers, written directly.
 * Encoding through Schema took about 4 µs per answer, the largest single
 * share of a polled request's own work; these writers take 0.2–0.7 µs.
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
import type { DateId, HoldId, PaymentId } from "@boxoffice/core"
import { DateTime } from "effect"

const instant = (value: DateTime.Utc | null): string | null => value === null ? null : DateTime.formatIso(value)

/** The fields of a `QueueStatusResponse`. */
export interface StatusFields {
  readonly status: "pending" | "waiting" | "active" | "expired"
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

/** The fields of a `HoldResponse`. */
export interface HoldFields {
  readonly holdId: HoldId
  readonly dateId: DateId
  readonly status: "held" | "paid" | "expired" | "released"
  readonly seatNumbers: ReadonlyArray<number>
  readonly amount: number
  readonly expiresAt: DateTime.Utc
}

/** A `HoldResponse`. */
export const holdJson = (fields: HoldFields): string =>
  JSON.stringify({
    holdId: fields.holdId,
    dateId: fields.dateId,
    status: fields.status,
    seatNumbers: fields.seatNumbers,
    amount: fields.amount,
    expiresAt: DateTime.formatIso(fields.expiresAt)
  })

/** The fields of a `PaymentResponse`. */
export interface PaymentFields {
  readonly paymentId: PaymentId
  readonly holdId: HoldId
  readonly amount: number
  readonly seatNumbers: ReadonlyArray<number>
  readonly balance: number
  readonly paidAt: DateTime.Utc
}

/** A `PaymentResponse`. */
export const paymentJson = (fields: PaymentFields): string =>
  JSON.stringify({
    paymentId: fields.paymentId,
    holdId: fields.holdId,
    amount: fields.amount,
    seatNumbers: fields.seatNumbers,
    balance: fields.balance,
    paidAt: DateTime.formatIso(fields.paidAt)
  })
