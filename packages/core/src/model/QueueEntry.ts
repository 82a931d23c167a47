/**
 * A user's place in a concert's waiting queue.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ConcertId, QueueTokenId, UserId } from "./Ids.ts"

/**
 * `pending` is a join before the sale opens, in the pre-queue with no place
 * yet; `expired` covers every end: paid, left or timed out.
 *
 * @category models
 */
export const QueueStatusKind = Schema.Literals(["pending", "waiting", "active", "expired"])
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
  /** 1 for the next to be admitted; `null` unless waiting. */
  position: Schema.NullOr(Schema.Int),
  /** The expected wait in whole seconds; `null` unless waiting. */
  etaSeconds: Schema.NullOr(Schema.Int),
  /** When admission ran; `null` while waiting or if never admitted. */
  admittedAt: Schema.NullOr(Schema.DateTimeUtc),
  /** When the active window ends; `null` unless active. */
  activeUntil: Schema.NullOr(Schema.DateTimeUtc),
  /** When the concert's sale opens; `null` when it had no opening time. */
  opensAt: Schema.NullOr(Schema.DateTimeUtc)
}) {}

/** What a queue token carries, signed. @category models */
export class QueueTokenClaims extends Schema.Class<QueueTokenClaims>("@boxoffice/core/QueueTokenClaims")({
  tokenId: QueueTokenId,
  userId: UserId,
  concertId: ConcertId,
  issuedAtMs: Schema.Int
}) {}
