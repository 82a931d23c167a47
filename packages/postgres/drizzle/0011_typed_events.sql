ALTER TABLE "events" ADD COLUMN "date_id" uuid;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "hold_id" uuid;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "payment_id" uuid;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "refund_id" uuid;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "charge_id" uuid;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "seat_numbers" integer[] DEFAULT '{}'::int[] NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "amount_krw" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "fee_krw" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
-- The outbox keeps what an event names in a column per field (decision 81) instead of a JSON object the
-- triggers built: building that object cost each booking more than the rest of the outbox, and it was a copy
-- of core's event shape in SQL. The adapter now builds the event from the columns.
UPDATE "events" SET
  "date_id" = ("data"->>'dateId')::uuid,
  "hold_id" = ("data"->>'holdId')::uuid,
  "payment_id" = ("data"->>'paymentId')::uuid,
  "refund_id" = ("data"->>'refundId')::uuid,
  "charge_id" = ("data"->>'chargeId')::uuid,
  "seat_numbers" = ARRAY(SELECT n::int FROM jsonb_array_elements_text(coalesce("data"->'seatNumbers', '[]')) n),
  "amount_krw" = coalesce(("data"->>'amountKrw')::bigint, 0),
  "fee_krw" = coalesce(("data"->>'feeKrw')::int, 0),
  "expires_at" = ("data"->>'expiresAt')::timestamptz;
--> statement-breakpoint
DROP TRIGGER IF EXISTS boxoffice_charge_event ON ledger_entries;
--> statement-breakpoint
DROP TRIGGER IF EXISTS boxoffice_hold_event ON holds;
--> statement-breakpoint
DROP TRIGGER IF EXISTS boxoffice_hold_end_event ON holds;
--> statement-breakpoint
DROP TRIGGER IF EXISTS boxoffice_payment_event ON payments;
--> statement-breakpoint
DROP TRIGGER IF EXISTS boxoffice_refund_event ON refunds;
--> statement-breakpoint
DROP FUNCTION IF EXISTS boxoffice_record_event();
--> statement-breakpoint
DROP FUNCTION IF EXISTS boxoffice_event_data(uuid, uuid, uuid, uuid, uuid, uuid, uuid, int[], bigint, int, timestamptz);
--> statement-breakpoint
DROP FUNCTION IF EXISTS boxoffice_events_after(bigint, int);
--> statement-breakpoint
DROP FUNCTION IF EXISTS boxoffice_claim_deliveries(int, int);
--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "data";
--> statement-breakpoint
-- One trigger function per table, each one insert of the row's own values (and its date's concert).
CREATE FUNCTION boxoffice_charge_event() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO events (type, at, user_id, charge_id, amount_krw)
  VALUES ('wallet.charged', NEW.at, NEW.user_id, NEW.reference_id, NEW.amount_krw);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION boxoffice_hold_created_event() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO events (type, at, concert_id, date_id, user_id, hold_id, seat_numbers, amount_krw, expires_at)
  SELECT 'hold.created', NEW.created_at, d.concert_id, NEW.date_id, NEW.user_id, NEW.hold_id, NEW.seat_numbers,
    NEW.amount_krw, NEW.expires_at
  FROM concert_dates d WHERE d.date_id = NEW.date_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A release is stamped when it happens; an expiry, noticed later, at the hold's expiry.
CREATE FUNCTION boxoffice_hold_ended_event() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO events (type, at, concert_id, date_id, user_id, hold_id, seat_numbers, amount_krw)
  SELECT CASE WHEN NEW.state = 'released' THEN 'hold.released' ELSE 'hold.expired' END,
    CASE WHEN NEW.state = 'released' THEN boxoffice_now() ELSE NEW.expires_at END,
    d.concert_id, NEW.date_id, NEW.user_id, NEW.hold_id, NEW.seat_numbers, NEW.amount_krw
  FROM concert_dates d WHERE d.date_id = NEW.date_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION boxoffice_payment_event() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO events (type, at, concert_id, date_id, user_id, hold_id, payment_id, seat_numbers, amount_krw)
  SELECT 'payment.completed', NEW.paid_at, d.concert_id, NEW.date_id, NEW.user_id, NEW.hold_id, NEW.payment_id,
    NEW.seat_numbers, NEW.amount_krw
  FROM concert_dates d WHERE d.date_id = NEW.date_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION boxoffice_refund_event() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_concert_id uuid;
BEGIN
  SELECT d.concert_id INTO v_concert_id FROM concert_dates d WHERE d.date_id = NEW.date_id;
  -- Seats are back: a later sell-out is a new one.
  DELETE FROM sold_out_concerts s WHERE s.concert_id = v_concert_id;
  INSERT INTO events (type, at, concert_id, date_id, user_id, hold_id, payment_id, refund_id, seat_numbers,
    amount_krw, fee_krw)
  SELECT 'payment.refunded', NEW.refunded_at, v_concert_id, NEW.date_id, NEW.user_id, p.hold_id, NEW.payment_id,
    NEW.refund_id, p.seat_numbers, NEW.amount_krw, NEW.fee_krw
  FROM payments p WHERE p.payment_id = NEW.payment_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER boxoffice_charge_event AFTER INSERT ON ledger_entries
  FOR EACH ROW WHEN (NEW.kind = 'charge') EXECUTE FUNCTION boxoffice_charge_event();
--> statement-breakpoint
CREATE TRIGGER boxoffice_hold_event AFTER INSERT ON holds
  FOR EACH ROW EXECUTE FUNCTION boxoffice_hold_created_event();
--> statement-breakpoint
-- Only a release or a recorded expiry: a payment's `state = 'paid'` has its own event, from `payments`.
CREATE TRIGGER boxoffice_hold_end_event AFTER UPDATE OF state, expiry_recorded ON holds
  FOR EACH ROW WHEN ((NEW.state = 'released' AND OLD.state = 'held') OR (NEW.expiry_recorded AND NOT OLD.expiry_recorded))
  EXECUTE FUNCTION boxoffice_hold_ended_event();
--> statement-breakpoint
CREATE TRIGGER boxoffice_payment_event AFTER INSERT ON payments
  FOR EACH ROW EXECUTE FUNCTION boxoffice_payment_event();
--> statement-breakpoint
CREATE TRIGGER boxoffice_refund_event AFTER INSERT ON refunds
  FOR EACH ROW EXECUTE FUNCTION boxoffice_refund_event();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION boxoffice_record_sold_out(p_concert_id uuid) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO sold_out_concerts (concert_id) VALUES (p_concert_id) ON CONFLICT DO NOTHING;
  IF FOUND THEN
    INSERT INTO events (type, at, concert_id) VALUES ('concert.sold-out', boxoffice_now(), p_concert_id);
  END IF;
END $$;
--> statement-breakpoint
-- A page of events after `p_after`, in sequence order, numbering what has committed first.
CREATE FUNCTION boxoffice_events_after(p_after bigint, p_limit int)
  RETURNS TABLE (event_id uuid, seq bigint, type text, at_ms float8, concert_id uuid, date_id uuid, user_id uuid,
    hold_id uuid, payment_id uuid, refund_id uuid, charge_id uuid, seat_numbers int[], amount_krw bigint,
    fee_krw int, expires_at_ms float8, attempts int)
  LANGUAGE sql
  AS $$
  SELECT boxoffice_sequence_events();
  SELECT e.event_id, e.seq, e.type, boxoffice_epoch_ms(e.at), e.concert_id, e.date_id, e.user_id, e.hold_id,
    e.payment_id, e.refund_id, e.charge_id, e.seat_numbers, e.amount_krw, e.fee_krw, boxoffice_epoch_ms(e.expires_at),
    e.attempts
  FROM events e WHERE e.seq > p_after ORDER BY e.seq LIMIT p_limit;
$$;
--> statement-breakpoint
-- Claims up to `p_limit` events for delivery, leasing them for `p_lease_ms`: of each concert's (or, without one,
-- each user's) undelivered, unparked events only the oldest, when it is due and nobody's lease on it runs.
-- SKIP LOCKED lets instances claim at once without taking the same event or waiting on each other. `due` tests
-- the event's own row again: a row another claim leased or settled after this statement's snapshot is re-read
-- under its lock, and only conditions on that row are checked again (`heads` keeps the stale values).
CREATE FUNCTION boxoffice_claim_deliveries(p_limit int, p_lease_ms int)
  RETURNS TABLE (event_id uuid, seq bigint, type text, at_ms float8, concert_id uuid, date_id uuid, user_id uuid,
    hold_id uuid, payment_id uuid, refund_id uuid, charge_id uuid, seat_numbers int[], amount_krw bigint,
    fee_krw int, expires_at_ms float8, attempts int)
  LANGUAGE sql
  AS $$
  SELECT boxoffice_sequence_events();
  WITH heads AS (
    SELECT DISTINCT ON (coalesce(e.concert_id, e.user_id)) e.event_id, e.seq, e.due_at, e.lease_until
    FROM events e
    WHERE e.seq IS NOT NULL AND e.delivered_at IS NULL AND e.parked_at IS NULL
    ORDER BY coalesce(e.concert_id, e.user_id), e.seq
  ), due AS (
    SELECT e.event_id FROM events e JOIN heads h ON h.event_id = e.event_id
    WHERE e.delivered_at IS NULL AND e.parked_at IS NULL AND e.due_at <= boxoffice_now()
      AND (e.lease_until IS NULL OR e.lease_until <= boxoffice_now())
    ORDER BY h.seq LIMIT p_limit
    FOR UPDATE OF e SKIP LOCKED
  )
  UPDATE events e SET lease_until = boxoffice_now() + make_interval(secs => p_lease_ms / 1000.0)
  FROM due WHERE e.event_id = due.event_id
  RETURNING e.event_id, e.seq, e.type, boxoffice_epoch_ms(e.at), e.concert_id, e.date_id, e.user_id, e.hold_id,
    e.payment_id, e.refund_id, e.charge_id, e.seat_numbers, e.amount_krw, e.fee_krw, boxoffice_epoch_ms(e.expires_at),
    e.attempts
$$;
