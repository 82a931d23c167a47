/**
 * Every bound of the engine in one place, each with the reason for it.
 *
 * @since 0.1.0
 */

/** @category limits */
export const Limits = {
  /** The smallest charge: a charge of zero would be a no-op that still writes a ledger row. */
  chargeKrwMin: 1,
  /** The largest single charge (the spec (docs/spec.md)): caps the damage of one mistaken or stolen request. */
  chargeKrwMax: 10_000_000,
  /** The largest balance (the spec (docs/spec.md)): keeps every sum far below 2^53, so integer arithmetic stays exact. */
  balanceKrwMax: 1_000_000_000,
  /** The highest seat count of one date: bounds a seat map read and a hold's scan. */
  seatCountMax: 10_000,
  /** The default seat count of a date (the spec (docs/spec.md)). */
  seatCountDefault: 50,
  /** The largest ticket price: one price times seatsPerUserMax stays under one charge, so a hold is always payable. */
  priceKrwMax: 500_000,
  /** The most seats in one request or per user per date: a fair-sale cap, not a technical one. */
  seatsPerUserMax: 20,
  /** The most dates in one concert: bounds the date list a user reads. */
  datesPerConcertMax: 100,
  /** The longest title. */
  titleLengthMax: 200,
  /** The longest name of a seat class ("VIP", "R", "Balcony left"): a legend's label, not prose. */
  seatClassNameLengthMax: 40,
  /**
   * The most seat classes of one date. Halls sell a handful of tiers (VIP, R, S, A); 20 leaves room for
   * sections priced apart, while it bounds the legend a buyer reads, the per-class rows of the operator's
   * report and the work of creating a date (each seat is matched against its date's classes).
   */
  seatClassesPerDateMax: 20,
  /**
   * The latest refund cutoff, in hours before a date starts: a year. A buyer may cancel until
   * `refundUntilHours` before the start; a bound keeps the policy a cutoff and not a typo.
   */
  refundUntilHoursMax: 8_760,
  /** The default refund cutoff: a day before the date starts, as ticket sellers commonly allow. */
  refundUntilHoursDefault: 24,
  /** The most payments one call of `refundDate` refunds: one request stays short; the operator calls again. */
  refundsPerCallMax: 200,
  /** The shortest and longest hold. Shorter holds cannot be paid in time; longer ones hoard seats. */
  holdSecondsMin: 10,
  holdSecondsMax: 3_600,
  /** The shortest and longest active window of an admitted user. */
  activeSecondsMin: 10,
  activeSecondsMax: 86_400,
  /** The most users active at once in one queue. */
  maxActiveMax: 1_000_000,
  /** The highest admission rate per minute. */
  admitPerMinuteMax: 1_000_000,
  /** The longest Idempotency-Key. */
  idempotencyKeyLengthMax: 255,
  /** The longest subject (`sub`) of a host's access token: identity providers' ids fit with room to spare. */
  subjectLengthMax: 255,
  /**
   * How long a waiter keeps their place after their last join or status
   * call. Waiters who stopped polling are dropped, so the line ahead of the
   * living is not padded with abandoned tabs (the anchors hold ~5 minutes).
   */
  waitingGraceSeconds: 300,
  /**
   * A sighting of a waiter (a join, a poll, a report of a copy's answer) is
   * recorded as the end of its step of this many seconds (`sightingMsOf`), so
   * a waiter keeps their place for the grace and at most one step more. A
   * store then ends its silent waiters a step at a time: Redis keeps one
   * bitmap a step, a few bytes a waiter, where exact times cost a sorted set.
   */
  sightingStepSeconds: 10,
  /** The most abandoned waiters, ended entries, old holds or old idempotency records one store call tidies. */
  queueTidyBatchMax: 1_000,
  /**
   * How long an expired or released hold still answers with its status
   * before an in-memory store forgets it: long enough for any client to see
   * how its hold ended, short enough that a busy sale's memory stays flat.
   */
  endedHoldRetentionSeconds: 600,
  /** How long an idempotency key replays its first answer: 24 h, as payment APIs commonly promise. */
  idempotencyRetentionSeconds: 86_400,
  /** How long an ended queue entry still answers "expired" before it is forgotten. */
  endedEntryRetentionSeconds: 86_400,
  /** How many verified tokens an instance remembers (about 200 bytes each). */
  verifiedTokensMax: 100_000,
  /** The shortest signing secret, in UTF-8 bytes: 32, the HMAC-SHA256 key size. Shorter ones can be guessed. */
  secretBytesMin: 32,
  /** How long a demo access token is valid by default: a day, so a stolen one does not work for ever. */
  accessTokenLifetimeSecondsDefault: 86_400,
  /** How many recent admissions the ETA looks at. */
  etaSampleSize: 64,
  /** How far back the ETA looks for admissions, in seconds. */
  etaWindowSeconds: 300
} as const

// The relations the comments above promise.
if (Limits.priceKrwMax * Limits.seatsPerUserMax > Limits.chargeKrwMax) {
  throw new Error("Limits: the dearest hold must fit in one charge")
}
if (Limits.chargeKrwMax > Limits.balanceKrwMax) {
  throw new Error("Limits: one charge must fit in a balance")
}
