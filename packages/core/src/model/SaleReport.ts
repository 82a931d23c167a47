/**
 * What an operator sees of a live sale: the queue's numbers and each date's
 * seats and revenue, counted by the stores, so every instance answers alike.
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import { DateId } from "./Ids.ts"
import { QueueSettings } from "./QueueSettings.ts"

const count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** The queue of one concert now. @category models */
export class QueueStats extends Schema.Class<QueueStats>("@boxoffice/core/QueueStats")({
  /** The settings in force. */
  settings: QueueSettings,
  /** Joined before the opening, not yet drawn. */
  pending: count,
  waiting: count,
  active: count,
  /** Admissions in the last 60 seconds. */
  admittedLastMinute: count
}) {}

/** The seats of one class of a date now, and what its sold seats brought in. @category models */
export class ClassSeatCounts extends Schema.Class<ClassSeatCounts>("@boxoffice/core/ClassSeatCounts")({
  name: Schema.String,
  priceKrw: count,
  available: count,
  held: count,
  sold: count,
  revenueKrw: count
}) {}

/**
 * The seats of one date now, and what its sold seats brought in (the sum of
 * their prices); `classes` counts the seats of each of the date's classes,
 * in the date's order (none for a date without classes).
 *
 * @category models
 */
export class DateSeatCounts extends Schema.Class<DateSeatCounts>("@boxoffice/core/DateSeatCounts")({
  dateId: DateId,
  available: count,
  held: count,
  sold: count,
  revenueKrw: count,
  classes: Schema.Array(ClassSeatCounts)
}) {}
