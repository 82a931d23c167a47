CREATE TABLE "event_sequence" (
	"id" integer PRIMARY KEY NOT NULL,
	"last" bigint NOT NULL,
	CONSTRAINT "event_sequence_single_row" CHECK ("event_sequence"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "events" (
	"event_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint,
	"ord" bigserial NOT NULL,
	"type" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"concert_id" uuid,
	"user_id" uuid,
	"data" jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"due_at" timestamp with time zone DEFAULT boxoffice_now() NOT NULL,
	"lease_until" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"parked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sold_out_concerts" (
	"concert_id" uuid PRIMARY KEY NOT NULL
);
--> statement-breakpoint
-- Holds made before the outbox record no expiry: they had no hold.created either.
ALTER TABLE "holds" ADD COLUMN "expiry_recorded" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "holds" ALTER COLUMN "expiry_recorded" SET DEFAULT false;--> statement-breakpoint
CREATE UNIQUE INDEX "events_seq_idx" ON "events" USING btree ("seq") WHERE "events"."seq" is not null;--> statement-breakpoint
CREATE INDEX "events_unsequenced_idx" ON "events" USING btree ("ord") WHERE "events"."seq" is null;--> statement-breakpoint
CREATE INDEX "events_undelivered_idx" ON "events" USING btree (coalesce("concert_id", "user_id"),"seq") WHERE "events"."seq" is not null and "events"."delivered_at" is null and "events"."parked_at" is null;--> statement-breakpoint
CREATE INDEX "holds_unrecorded_expiry_idx" ON "holds" USING btree ("expires_at") WHERE "holds"."state" = 'held' and not "holds"."expiry_recorded";
--> statement-breakpoint
INSERT INTO "event_sequence" ("id", "last") VALUES (1, 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- The outbox (decision 81). Each write function's change fires one of the triggers below in the same
-- transaction and statement. The copy of core's event shapes (model/BookingEvent): `data` holds
-- BookingEventData's fields.
CREATE FUNCTION boxoffice_event_data(
  p_concert_id uuid, p_date_id uuid, p_user_id uuid, p_hold_id uuid, p_payment_id uuid, p_refund_id uuid,
  p_charge_id uuid, p_seat_numbers int[], p_amount_krw bigint, p_fee_krw int, p_expires_at timestamptz
) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
  SELECT jsonb_build_object(
    'concertId', p_concert_id, 'dateId', p_date_id, 'userId', p_user_id, 'holdId', p_hold_id,
    'paymentId', p_payment_id, 'refundId', p_refund_id, 'chargeId', p_charge_id,
    'seatNumbers', to_jsonb(coalesce(p_seat_numbers, '{}'::int[])), 'amountKrw', p_amount_krw, 'feeKrw', p_fee_krw,
    'expiresAt', CASE WHEN p_expires_at IS NULL THEN NULL ELSE boxoffice_iso_ms(p_expires_at) END)
$$;
--> statement-breakpoint
CREATE FUNCTION boxoffice_record_event() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_concert_id uuid;
BEGIN
  IF TG_TABLE_NAME = 'ledger_entries' THEN
    INSERT INTO events (type, at, user_id, data)
    VALUES ('wallet.charged', NEW.at, NEW.user_id,
      boxoffice_event_data(NULL, NULL, NEW.user_id, NULL, NULL, NULL, NEW.reference_id, NULL, NEW.amount_krw, 0, NULL));
    RETURN NULL;
  END IF;
  SELECT d.concert_id INTO v_concert_id FROM concert_dates d WHERE d.date_id = NEW.date_id;
  IF TG_TABLE_NAME = 'holds' THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO events (type, at, concert_id, user_id, data)
      VALUES ('hold.created', NEW.created_at, v_concert_id, NEW.user_id,
        boxoffice_event_data(v_concert_id, NEW.date_id, NEW.user_id, NEW.hold_id, NULL, NULL, NULL, NEW.seat_numbers,
          NEW.amount_krw, 0, NEW.expires_at));
    ELSIF NEW.state = 'released' AND OLD.state = 'held' THEN
      INSERT INTO events (type, at, concert_id, user_id, data)
      VALUES ('hold.released', boxoffice_now(), v_concert_id, NEW.user_id,
        boxoffice_event_data(v_concert_id, NEW.date_id, NEW.user_id, NEW.hold_id, NULL, NULL, NULL, NEW.seat_numbers,
          NEW.amount_krw, 0, NULL));
    ELSIF NEW.expiry_recorded AND NOT OLD.expiry_recorded THEN
      INSERT INTO events (type, at, concert_id, user_id, data)
      VALUES ('hold.expired', NEW.expires_at, v_concert_id, NEW.user_id,
        boxoffice_event_data(v_concert_id, NEW.date_id, NEW.user_id, NEW.hold_id, NULL, NULL, NULL, NEW.seat_numbers,
          NEW.amount_krw, 0, NULL));
    END IF;
  ELSIF TG_TABLE_NAME = 'payments' THEN
    INSERT INTO events (type, at, concert_id, user_id, data)
    VALUES ('payment.completed', NEW.paid_at, v_concert_id, NEW.user_id,
      boxoffice_event_data(v_concert_id, NEW.date_id, NEW.user_id, NEW.hold_id, NEW.payment_id, NULL, NULL,
        NEW.seat_numbers, NEW.amount_krw, 0, NULL));
  ELSIF TG_TABLE_NAME = 'refunds' THEN
    -- Seats are back: a later sell-out is a new one.
    DELETE FROM sold_out_concerts s WHERE s.concert_id = v_concert_id;
    INSERT INTO events (type, at, concert_id, user_id, data)
    SELECT 'payment.refunded', NEW.refunded_at, v_concert_id, NEW.user_id,
      boxoffice_event_data(v_concert_id, NEW.date_id, NEW.user_id, p.hold_id, NEW.payment_id, NEW.refund_id, NULL,
        p.seat_numbers, NEW.amount_krw, NEW.fee_krw, NULL)
    FROM payments p WHERE p.payment_id = NEW.payment_id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER boxoffice_charge_event AFTER INSERT ON ledger_entries
  FOR EACH ROW WHEN (NEW.kind = 'charge') EXECUTE FUNCTION boxoffice_record_event();
--> statement-breakpoint
CREATE TRIGGER boxoffice_hold_event AFTER INSERT ON holds
  FOR EACH ROW EXECUTE FUNCTION boxoffice_record_event();
--> statement-breakpoint
-- Only a release or a recorded expiry: a payment's `state = 'paid'` has its own event, from `payments`.
CREATE TRIGGER boxoffice_hold_end_event AFTER UPDATE OF state, expiry_recorded ON holds
  FOR EACH ROW WHEN ((NEW.state = 'released' AND OLD.state = 'held') OR (NEW.expiry_recorded AND NOT OLD.expiry_recorded))
  EXECUTE FUNCTION boxoffice_record_event();
--> statement-breakpoint
CREATE TRIGGER boxoffice_payment_event AFTER INSERT ON payments
  FOR EACH ROW EXECUTE FUNCTION boxoffice_record_event();
--> statement-breakpoint
CREATE TRIGGER boxoffice_refund_event AFTER INSERT ON refunds
  FOR EACH ROW EXECUTE FUNCTION boxoffice_record_event();
--> statement-breakpoint
-- Records hold.expired for up to `p_limit` holds whose expiry the clock has passed while still held, each once
-- (the flag, set under the row lock; SKIP LOCKED leaves holds a payment or release is deciding). Answers how many.
CREATE FUNCTION boxoffice_record_expiries(p_limit int) RETURNS int
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_count int;
BEGIN
  WITH due AS (
    SELECT h.hold_id FROM holds h
    WHERE h.state = 'held' AND NOT h.expiry_recorded AND h.expires_at <= boxoffice_now()
    ORDER BY h.expires_at LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  )
  UPDATE holds h SET expiry_recorded = true FROM due WHERE h.hold_id = due.hold_id;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END $$;
--> statement-breakpoint
-- concert.sold-out, once since the concert's last refund (whose trigger forgets the mark).
CREATE FUNCTION boxoffice_record_sold_out(p_concert_id uuid) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO sold_out_concerts (concert_id) VALUES (p_concert_id) ON CONFLICT DO NOTHING;
  IF FOUND THEN
    INSERT INTO events (type, at, concert_id, data)
    VALUES ('concert.sold-out', boxoffice_now(), p_concert_id,
      boxoffice_event_data(p_concert_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL));
  END IF;
END $$;
--> statement-breakpoint
-- The sequencer (decision 81): numbers every committed event that has no number yet, in `ord` order, after
-- recording the expiries due. A write that waited on another's locks inserted after it, and that one committed
-- first, so cause comes before effect; a transaction still running is numbered by a later call, with a higher
-- number. Callers take turns on a lock held to their commit, each numbering what its statement sees, so a number
-- once read never has an unread one below it. Answers how many it numbered.
CREATE FUNCTION boxoffice_sequence_events() RETURNS int
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_top bigint;
  v_count int;
BEGIN
  PERFORM boxoffice_record_expiries(500);
  PERFORM pg_advisory_xact_lock(hashtextextended('boxoffice-event-sequencer', 0));
  SELECT s.last INTO v_top FROM event_sequence s WHERE s.id = 1;
  WITH next AS (
    SELECT e.event_id, row_number() OVER (ORDER BY e.ord) AS rn
    FROM events e WHERE e.seq IS NULL ORDER BY e.ord LIMIT 10000
  )
  UPDATE events e SET seq = v_top + next.rn FROM next WHERE e.event_id = next.event_id;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  IF v_count > 0 THEN
    UPDATE event_sequence s SET last = v_top + v_count WHERE s.id = 1;
  END IF;
  RETURN v_count;
END $$;
--> statement-breakpoint
-- A page of events after `p_after`, in sequence order, numbering what has committed first.
CREATE FUNCTION boxoffice_events_after(p_after bigint, p_limit int)
  RETURNS TABLE (event_id uuid, seq bigint, type text, at_ms float8, data jsonb, attempts int)
  LANGUAGE sql
  AS $$
  SELECT boxoffice_sequence_events();
  SELECT e.event_id, e.seq, e.type, boxoffice_epoch_ms(e.at), e.data, e.attempts
  FROM events e WHERE e.seq > p_after ORDER BY e.seq LIMIT p_limit;
$$;
--> statement-breakpoint
-- Claims up to `p_limit` events for delivery, leasing them for `p_lease_ms`: of each concert's (or, without one,
-- each user's) undelivered, unparked events only the oldest, when it is due and nobody's lease on it runs.
-- SKIP LOCKED lets instances claim at once without taking the same event or waiting on each other. `due` tests
-- the event's own row again: a row another claim leased or settled after this statement's snapshot is re-read
-- under its lock, and only conditions on that row are checked again (`heads` keeps the stale values).
CREATE FUNCTION boxoffice_claim_deliveries(p_limit int, p_lease_ms int)
  RETURNS TABLE (event_id uuid, seq bigint, type text, at_ms float8, data jsonb, attempts int)
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
  RETURNING e.event_id, e.seq, e.type, boxoffice_epoch_ms(e.at), e.data, e.attempts
$$;
