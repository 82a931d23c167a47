/**
 * The drizzle schema. Migrations in `drizzle/` are generated from it with
 * `pnpm --filter @boxoffice/postgres generate`; the clock function is a
 * hand-written migration.
 */
import { sql } from "drizzle-orm"
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid
} from "drizzle-orm/pg-core"

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: "date" })

export const concerts = pgTable("concerts", {
  concertId: uuid("concert_id").primaryKey(),
  title: text("title").notNull(),
  /** The SalePolicy, encoded. Immutable once saved. */
  policy: jsonb("policy").notNull(),
  createdAt: instant("created_at").notNull().defaultNow()
})

export const concertDates = pgTable(
  "concert_dates",
  {
    dateId: uuid("date_id").primaryKey(),
    concertId: uuid("concert_id")
      .notNull()
      .references(() => concerts.concertId),
    position: integer("position").notNull(),
    startsAt: instant("starts_at").notNull(),
    priceKrw: integer("price_krw").notNull(),
    seatCount: integer("seat_count").notNull(),
    /**
     * The date's seat classes, `[{ name, priceKrw, from, to }]` (migration
     * 0008): immutable, as the date. Each seat row carries its own class and
     * price too, set from these when the date was created.
     */
    classes: jsonb("classes").notNull().default(sql`'[]'::jsonb`)
  },
  (t) => [index("concert_dates_concert_idx").on(t.concertId, t.position)]
)

/**
 * One row per seat: the row every hold and sale of that seat locks. A seat
 * is sold when `sold_user_id` is set, and held while `hold_expires_at` is
 * after the database's clock. Its price and class (null outside every
 * class) are set when its date is created and never change (migration 0008).
 */
export const seats = pgTable(
  "seats",
  {
    dateId: uuid("date_id")
      .notNull()
      .references(() => concertDates.dateId),
    seatNumber: integer("seat_number").notNull(),
    priceKrw: integer("price_krw").notNull(),
    className: text("class_name"),
    holdId: uuid("hold_id"),
    holdUserId: uuid("hold_user_id"),
    holdExpiresAt: instant("hold_expires_at"),
    soldUserId: uuid("sold_user_id")
  },
  (t) => [
    primaryKey({ columns: [t.dateId, t.seatNumber] }),
    index("seats_hold_user_idx").on(t.dateId, t.holdUserId),
    index("seats_sold_user_idx").on(t.dateId, t.soldUserId),
    // The sweeper's scan: only seats that carry a hold, oldest expiry first.
    index("seats_hold_expiry_idx").on(t.holdExpiresAt).where(sql`${t.holdExpiresAt} is not null`)
  ]
)

export const holds = pgTable(
  "holds",
  {
    holdId: uuid("hold_id").primaryKey(),
    userId: uuid("user_id").notNull(),
    dateId: uuid("date_id")
      .notNull()
      .references(() => concertDates.dateId),
    seatNumbers: integer("seat_numbers").array().notNull(),
    /** The sum of `seat_prices`. */
    amountKrw: integer("amount_krw").notNull(),
    /**
     * The price of each of `seat_numbers`, in their order, fixed when the hold
     * was made from the seat rows (migration 0008), and its class (null
     * outside every class). A payment pays these (L3).
     */
    seatPrices: integer("seat_prices").array().notNull(),
    seatClasses: text("seat_classes").array().notNull(),
    state: text("state", { enum: ["held", "paid", "released"] }).notNull(),
    createdAt: instant("created_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
    /**
     * The hold reserves `amount_krw` from its user's wallet while it is live
     * (its concert's `holdNeedsFunds`, migration 0007). False on holds made
     * before.
     */
    reservesFunds: boolean("reserves_funds").notNull().default(false),
    /**
     * Its `hold.expired` event is recorded (migration 0010): set once, by the
     * first read of the events or sweep after its expiry. True on holds made
     * before the outbox, which record nothing.
     */
    expiryRecorded: boolean("expiry_recorded").notNull().default(false)
  },
  (t) => [
    check("holds_state_check", sql`${t.state} in ('held', 'paid', 'released')`),
    // A user's reservations: only reserving holds in state 'held', by expiry, so a read ranges over the live ones.
    index("holds_reserving_user_idx").on(t.userId, t.expiresAt).where(sql`${t.reservesFunds} and ${t.state} = 'held'`),
    index("holds_unrecorded_expiry_idx").on(t.expiresAt).where(sql`${t.state} = 'held' and not ${t.expiryRecorded}`)
  ]
)

/** The final guard of L1: a seat of a date is sold once. */
export const sales = pgTable(
  "sales",
  {
    dateId: uuid("date_id")
      .notNull()
      .references(() => concertDates.dateId),
    seatNumber: integer("seat_number").notNull(),
    paymentId: uuid("payment_id").notNull(),
    userId: uuid("user_id").notNull()
  },
  (t) => [primaryKey({ columns: [t.dateId, t.seatNumber] })]
)

export const payments = pgTable(
  "payments",
  {
    paymentId: uuid("payment_id").primaryKey(),
    userId: uuid("user_id").notNull(),
    holdId: uuid("hold_id")
      .notNull()
      .unique()
      .references(() => holds.holdId),
    dateId: uuid("date_id").notNull(),
    amountKrw: integer("amount_krw").notNull(),
    seatNumbers: integer("seat_numbers").array().notNull(),
    paidAt: instant("paid_at").notNull(),
    /**
     * The queue token the payment was made with: a token pays once. Null on
     * payments made before migration 0006, which recorded no token.
     */
    queueTokenId: uuid("queue_token_id").unique()
  },
  (t) => [index("payments_user_idx").on(t.userId, t.paidAt), index("payments_date_idx").on(t.dateId, t.paidAt)]
)

/**
 * A payment's refund (migration 0009): `payment_id` unique, so a payment is
 * refunded once. The payment row stays; `amount_krw` went back to the
 * wallet and `fee_krw` was kept, and they sum to the payment's amount.
 */
export const refunds = pgTable(
  "refunds",
  {
    refundId: uuid("refund_id").primaryKey(),
    paymentId: uuid("payment_id")
      .notNull()
      .unique()
      .references(() => payments.paymentId),
    userId: uuid("user_id").notNull(),
    dateId: uuid("date_id").notNull(),
    amountKrw: integer("amount_krw").notNull(),
    feeKrw: integer("fee_krw").notNull(),
    by: text("by", { enum: ["user", "host"] }).notNull(),
    refundedAt: instant("refunded_at").notNull()
  },
  (t) => [
    check("refunds_by_check", sql`${t.by} in ('user', 'host')`),
    check("refunds_amounts_check", sql`${t.amountKrw} >= 0 and ${t.feeKrw} >= 0`)
  ]
)

/**
 * The outbox (migrations 0010, 0011): triggers on the tables the write
 * functions change insert one row per event in the same transaction, with an `ord`
 * from a sequence and no `seq` yet; the sequencer numbers committed rows in
 * `ord` order when the events are read, so numbers only rise (decision 81).
 * Delivery state follows.
 */
export const events = pgTable(
  "events",
  {
    eventId: uuid("event_id").primaryKey().defaultRandom(),
    /** The event's number, given by the sequencer once its transaction committed; null until then. */
    seq: bigint("seq", { mode: "number" }),
    /** The insert order: a write that waited on another's locks inserts after it. */
    ord: bigserial("ord", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    at: instant("at").notNull(),
    // What the event names, a column per field of core's BookingEventData (migration 0011): the triggers copy
    // row values, and the adapter builds the event, so no JSON shape of core's is copied into SQL.
    concertId: uuid("concert_id"),
    dateId: uuid("date_id"),
    userId: uuid("user_id"),
    holdId: uuid("hold_id"),
    paymentId: uuid("payment_id"),
    refundId: uuid("refund_id"),
    chargeId: uuid("charge_id"),
    seatNumbers: integer("seat_numbers").array().notNull().default(sql`'{}'::int[]`),
    amountKrw: bigint("amount_krw", { mode: "number" }).notNull().default(0),
    feeKrw: integer("fee_krw").notNull().default(0),
    expiresAt: instant("expires_at"),
    attempts: integer("attempts").notNull().default(0),
    dueAt: instant("due_at").notNull().default(sql`boxoffice_now()`),
    leaseUntil: instant("lease_until"),
    deliveredAt: instant("delivered_at"),
    parkedAt: instant("parked_at")
  },
  (t) => [
    // Partial, so that a write's insert (no number yet) does not maintain it.
    uniqueIndex("events_seq_idx").on(t.seq).where(sql`${t.seq} is not null`),
    index("events_unsequenced_idx").on(t.ord).where(sql`${t.seq} is null`),
    index("events_undelivered_idx")
      .on(sql`coalesce(${t.concertId}, ${t.userId})`, t.seq)
      .where(sql`${t.seq} is not null and ${t.deliveredAt} is null and ${t.parkedAt} is null`)
  ]
)

/** The last number the sequencer gave (one row). */
export const eventSequence = pgTable(
  "event_sequence",
  {
    id: integer("id").primaryKey(),
    last: bigint("last", { mode: "number" }).notNull()
  },
  (t) => [check("event_sequence_single_row", sql`${t.id} = 1`)]
)

/** Concerts whose `concert.sold-out` is recorded since their last refund. */
export const soldOutConcerts = pgTable("sold_out_concerts", {
  concertId: uuid("concert_id").primaryKey()
})

export const wallets = pgTable(
  "wallets",
  {
    userId: uuid("user_id").primaryKey(),
    balanceKrw: bigint("balance_krw", { mode: "number" }).notNull()
  },
  (t) => [check("wallets_balance_check", sql`${t.balanceKrw} >= 0 and ${t.balanceKrw} <= 1000000000`)]
)

/** Append-only; a wallet's balance always equals the sum of its entries. */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    entryId: bigserial("entry_id", { mode: "number" }).primaryKey(),
    userId: uuid("user_id").notNull(),
    kind: text("kind", { enum: ["charge", "payment", "refund"] }).notNull(),
    referenceId: uuid("reference_id").notNull().unique(),
    amountKrw: bigint("amount_krw", { mode: "number" }).notNull(),
    at: instant("at").notNull()
  },
  (t) => [
    check("ledger_entries_kind_check", sql`${t.kind} in ('charge', 'payment', 'refund')`),
    check("ledger_entries_amount_check", sql`${t.amountKrw} >= 0`),
    index("ledger_entries_user_idx").on(t.userId, t.entryId)
  ]
)

export const idempotencyRecords = pgTable(
  "idempotency_records",
  {
    userId: uuid("user_id").notNull(),
    key: text("key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    /** The first successful answer (IdempotentOutcome as JSON), written with that success. */
    outcome: jsonb("outcome").notNull(),
    createdAt: instant("created_at").notNull().defaultNow()
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] })]
)

/**
 * The store's clock is `boxoffice_now()`: `now()`, unless `frozen_at` is
 * set. Production never sets it; the law suites freeze it to their manual
 * clock, so the database and the suites agree on the time to the millisecond.
 */
export const clock = pgTable(
  "boxoffice_clock",
  {
    id: integer("id").primaryKey(),
    frozenAt: instant("frozen_at")
  },
  (t) => [check("boxoffice_clock_single_row", sql`${t.id} = 1`)]
)
