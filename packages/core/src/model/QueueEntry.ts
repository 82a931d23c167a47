/**
 * A user's place in a concert's waiting queue.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { trustedInstance } from "../internal/EffectInternals.ts"
import { ConcertId, QueueTokenId, UserId } from "./Ids.ts"

/**
 * `pending` is a join before the sale opens, in the pre-queue with no place
 * yet; `expired` covers every end: paid, left or timed out; `sold-out` is a
 * pending or waiting entry of a line marked sold out, which admits nobody
 * (its place is kept, should seats come back).
 *
 * @category models
 */
export const QueueStatusKind = Schema.Literals(["pending", "waiting", "active", "expired", "sold-out"])
/** @category models */
export type QueueStatusKind = typeof QueueStatusKind.Type

/**
 * A queue entry as the store sees it after its admission step ran.
 *
 * @category models
 */
export class QueueEntry extends Schema.Class<QueueEntry>("@boxoffice/core/QueueEntry")({
  tokenId: QueueTokenId,
  concertId: ConcertId,
  userId: UserId,
  /**
   * The entry's place in the line's order, which admission follows (L5): the
   * order in which the store received the join, or for a join before the
   * opening, its drawn place, ahead of every later join. 0 while pending.
   */
  joinSequence: Schema.Int,
  joinedAt: Schema.DateTimeUtc,
  status: QueueStatusKind,
  /** 1 for the next to be admitted; `null` unless waiting (so also while sold out). */
  position: Schema.NullOr(Schema.Int),
  /** The expected wait in whole seconds; `null` unless waiting. */
  etaSeconds: Schema.NullOr(Schema.Int),
  /** When admission ran; `null` while waiting or if never admitted. */
  admittedAt: Schema.NullOr(Schema.DateTimeUtc),
  /** When the active window ends; `null` unless active. */
  activeUntil: Schema.NullOr(Schema.DateTimeUtc),
  /** When the concert's sale opens; `null` when it had no opening time. */
  opensAt: Schema.NullOr(Schema.DateTimeUtc)
}) {
  /**
   * An entry from fields the caller already knows to be valid, built
   * without the constructor's parse, which runs even with `disableChecks`
   * and would run on every status poll. Nothing is checked. For records a
   * store wrote itself: the memory queue's own state, and the Redis queue's
   * replies from its own scripts, which it checks cheaply first. Fields
   * from anywhere else go through `new QueueEntry(...)`.
   *
   * @example
   * ```ts
   * import { ConcertId, QueueEntry, QueueTokenId, UserId } from "@boxoffice/core"
   * import { DateTime } from "effect"
   * const entry = QueueEntry.trusted({
   *   tokenId: QueueTokenId.make("5f0c3b1e-8a7d-4e2f-9b6a-1c2d3e4f5a6b"),
   *   concertId: ConcertId.make("0b9f6e4c-3d2a-4c1b-8e7f-6a5b4c3d2e1f"),
   *   userId: UserId.make("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
   *   joinSequence: 7,
   *   joinedAt: DateTime.makeUnsafe(0),
   *   status: "waiting",
   *   position: 3,
   *   etaSeconds: 40,
   *   admittedAt: null,
   *   activeUntil: null,
   *   opensAt: null
   * })
   * ```
   */
  static trusted(fields: Schema.Struct.Type<typeof QueueEntry.fields>): QueueEntry {
    return trustedInstance(QueueEntry, fields)
  }
}

/** What a queue token carries, signed. @category models */
export class QueueTokenClaims extends Schema.Class<QueueTokenClaims>("@boxoffice/core/QueueTokenClaims")({
  tokenId: QueueTokenId,
  userId: UserId,
  concertId: ConcertId,
  issuedAtMs: Schema.Int
}) {
  /**
   * Claims from fields the caller already knows to be valid (ids it read
   * from a verified entry), built without the constructor's parse. Nothing
   * is checked.
   *
   * @example
   * ```ts
   * import { ConcertId, QueueTokenClaims, QueueTokenId, UserId } from "@boxoffice/core"
   * const claims = QueueTokenClaims.trusted({
   *   tokenId: QueueTokenId.make("5f0c3b1e-8a7d-4e2f-9b6a-1c2d3e4f5a6b"),
   *   userId: UserId.make("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
   *   concertId: ConcertId.make("0b9f6e4c-3d2a-4c1b-8e7f-6a5b4c3d2e1f"),
   *   issuedAtMs: 0
   * })
   * ```
   */
  static trusted(fields: Schema.Struct.Type<typeof QueueTokenClaims.fields>): QueueTokenClaims {
    return trustedInstance(QueueTokenClaims, fields)
  }
}
