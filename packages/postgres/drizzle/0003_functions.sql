-- Every write of the adapter is one call of one of these functions: one round
-- trip, and row locks held only while the function runs. Each judges expiry by
-- the clock read after it holds its locks (boxoffice_now() is clock_timestamp()
-- in production), never by the transaction's start, so a call that waited on a
-- lock past a hold's expiry sees that hold as expired.
-- Lock order: hold row or (user, date) advisory lock, idempotency record,
-- wallet row, seat rows in seat order.
CREATE OR REPLACE FUNCTION boxoffice_now() RETURNS timestamptz
  LANGUAGE sql VOLATILE
  AS $$ SELECT coalesce((SELECT frozen_at FROM boxoffice_clock WHERE id = 1), clock_timestamp()) $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION boxoffice_epoch_ms(at timestamptz) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT floor(extract(epoch from at) * 1000)::float8 $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION boxoffice_iso_ms(at timestamptz) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
--> statement-breakpoint
-- Locks the claim's record; true when this attempt still holds it with nothing recorded.
CREATE OR REPLACE FUNCTION boxoffice_claim_is_current(p_user_id uuid, p_key text, p_attempt_id uuid) RETURNS boolean
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_current boolean;
BEGIN
  IF p_key IS NULL THEN
    RETURN true;
  END IF;
  SELECT attempt_id = p_attempt_id AND outcome IS NULL INTO v_current
  FROM idempotency_records WHERE user_id = p_user_id AND key = p_key FOR UPDATE;
  RETURN coalesce(v_current, false);
END $$;
--> statement-breakpoint
-- Claims (user, key): 'started', 'replay' with the outcome, 'in-flight' or 'key-reused'. It takes no lock
-- to answer: a record in use by a running charge or payment is locked by it, and this must not wait for it.
CREATE OR REPLACE FUNCTION boxoffice_idempotency_begin(
  p_user_id uuid, p_key text, p_fingerprint text, p_attempt_id uuid, p_lease_seconds int
) RETURNS TABLE (outcome text, recorded jsonb)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_row idempotency_records%ROWTYPE;
  v_now timestamptz;
BEGIN
  LOOP
    v_now := boxoffice_now();
    INSERT INTO idempotency_records (user_id, key, fingerprint, attempt_id, lease_until)
    VALUES (p_user_id, p_key, p_fingerprint, p_attempt_id, v_now + make_interval(secs => p_lease_seconds))
    ON CONFLICT (user_id, key) DO NOTHING;
    IF FOUND THEN
      RETURN QUERY SELECT 'started'::text, NULL::jsonb;
      RETURN;
    END IF;
    SELECT * INTO v_row FROM idempotency_records r WHERE r.user_id = p_user_id AND r.key = p_key;
    -- Abandoned between the insert and the select: try the insert again.
    CONTINUE WHEN NOT FOUND;
    IF v_row.fingerprint <> p_fingerprint THEN
      RETURN QUERY SELECT 'key-reused'::text, NULL::jsonb;
      RETURN;
    ELSIF v_row.outcome IS NOT NULL THEN
      RETURN QUERY SELECT 'replay'::text, v_row.outcome;
      RETURN;
    ELSIF v_row.lease_until > v_now THEN
      RETURN QUERY SELECT 'in-flight'::text, NULL::jsonb;
      RETURN;
    END IF;
    -- The lease ran out: take the claim over, unless another attempt just did or recorded an outcome.
    UPDATE idempotency_records r SET attempt_id = p_attempt_id, lease_until = v_now + make_interval(secs => p_lease_seconds)
    WHERE r.user_id = p_user_id AND r.key = p_key AND r.attempt_id = v_row.attempt_id AND r.outcome IS NULL;
    IF FOUND THEN
      RETURN QUERY SELECT 'started'::text, NULL::jsonb;
      RETURN;
    END IF;
  END LOOP;
END $$;
--> statement-breakpoint
-- A charge: 'charged' with the new balance, 'in-flight' or 'balance-limit' with the current balance.
CREATE OR REPLACE FUNCTION boxoffice_charge(
  p_charge_id uuid, p_user_id uuid, p_amount_krw int, p_balance_max_krw bigint, p_key text, p_attempt_id uuid
) RETURNS TABLE (outcome text, balance_krw int)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_balance bigint;
  v_now timestamptz;
BEGIN
  IF NOT boxoffice_claim_is_current(p_user_id, p_key, p_attempt_id) THEN
    RETURN QUERY SELECT 'in-flight'::text, NULL::int;
    RETURN;
  END IF;
  INSERT INTO wallets AS w (user_id, balance_krw) VALUES (p_user_id, p_amount_krw)
  ON CONFLICT (user_id) DO UPDATE SET balance_krw = w.balance_krw + excluded.balance_krw
    WHERE w.balance_krw + excluded.balance_krw <= p_balance_max_krw
  RETURNING w.balance_krw INTO v_balance;
  IF v_balance IS NULL THEN
    SELECT w.balance_krw INTO v_balance FROM wallets w WHERE w.user_id = p_user_id;
    RETURN QUERY SELECT 'balance-limit'::text, v_balance::int;
    RETURN;
  END IF;
  v_now := boxoffice_now();
  INSERT INTO ledger_entries (user_id, kind, reference_id, amount_krw, at)
  VALUES (p_user_id, 'charge', p_charge_id, p_amount_krw, v_now);
  IF p_key IS NOT NULL THEN
    UPDATE idempotency_records SET outcome = jsonb_build_object(
      '_tag', 'Charged',
      'receipt', jsonb_build_object('chargeId', p_charge_id, 'amountKrw', p_amount_krw, 'balanceKrw', v_balance))
    WHERE user_id = p_user_id AND key = p_key AND attempt_id = p_attempt_id;
  END IF;
  RETURN QUERY SELECT 'charged'::text, v_balance::int;
END $$;
--> statement-breakpoint
-- The seats among `p_seat_numbers` that are sold or under a live hold at `p_now`, ascending; null when none.
CREATE OR REPLACE FUNCTION boxoffice_taken_seats(p_date_id uuid, p_seat_numbers int[], p_now timestamptz) RETURNS int[]
  LANGUAGE sql STABLE
  AS $$
  SELECT array_agg(s.seat_number ORDER BY s.seat_number) FROM seats s
  WHERE s.date_id = p_date_id AND s.seat_number = ANY (p_seat_numbers)
    AND (s.sold_user_id IS NOT NULL OR s.hold_expires_at > p_now)
$$;
--> statement-breakpoint
-- A hold: 'held', 'seat-unavailable' with the taken seats, or 'hold-limit' with the seats the user has.
CREATE OR REPLACE FUNCTION boxoffice_hold(
  p_hold_id uuid, p_user_id uuid, p_date_id uuid, p_seat_numbers int[], p_amount_krw int,
  p_hold_seconds int, p_max_seats_per_user int
) RETURNS TABLE (outcome text, taken int[], seats_already int, created_at_ms float8, expires_at_ms float8)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_taken int[];
  v_locked int;
  v_mine int;
  v_now timestamptz;
  v_expires timestamptz;
BEGIN
  -- In a storm most calls want a seat that is visibly taken: turn them away before taking any lock.
  v_now := boxoffice_now();
  v_taken := boxoffice_taken_seats(p_date_id, p_seat_numbers, v_now);
  IF v_taken IS NOT NULL THEN
    RETURN QUERY SELECT 'seat-unavailable'::text, v_taken, NULL::int, NULL::float8, NULL::float8;
    RETURN;
  END IF;
  -- Serializes one user's holds on one date, so the per-user cap cannot be raced.
  PERFORM pg_advisory_xact_lock(hashtextextended(p_user_id::text || p_date_id::text, 0));
  SELECT count(*) INTO v_locked FROM (
    SELECT 1 FROM seats s WHERE s.date_id = p_date_id AND s.seat_number = ANY (p_seat_numbers)
    ORDER BY s.seat_number FOR UPDATE
  ) locked;
  IF v_locked <> cardinality(p_seat_numbers) THEN
    RAISE EXCEPTION 'date % lacks some of seats %', p_date_id, p_seat_numbers;
  END IF;
  -- The deciding check, by the clock after the locks are held.
  v_now := boxoffice_now();
  v_taken := boxoffice_taken_seats(p_date_id, p_seat_numbers, v_now);
  IF v_taken IS NOT NULL THEN
    RETURN QUERY SELECT 'seat-unavailable'::text, v_taken, NULL::int, NULL::float8, NULL::float8;
    RETURN;
  END IF;
  SELECT count(*) INTO v_mine FROM seats s
  WHERE s.date_id = p_date_id
    AND ((s.hold_user_id = p_user_id AND s.hold_expires_at > v_now) OR s.sold_user_id = p_user_id);
  IF v_mine + cardinality(p_seat_numbers) > p_max_seats_per_user THEN
    RETURN QUERY SELECT 'hold-limit'::text, NULL::int[], v_mine, NULL::float8, NULL::float8;
    RETURN;
  END IF;
  v_expires := v_now + make_interval(secs => p_hold_seconds);
  INSERT INTO holds (hold_id, user_id, date_id, seat_numbers, amount_krw, state, created_at, expires_at)
  VALUES (p_hold_id, p_user_id, p_date_id, p_seat_numbers, p_amount_krw, 'held', v_now, v_expires);
  UPDATE seats SET hold_id = p_hold_id, hold_user_id = p_user_id, hold_expires_at = v_expires
  WHERE date_id = p_date_id AND seat_number = ANY (p_seat_numbers);
  RETURN QUERY SELECT 'held'::text, NULL::int[], v_mine, boxoffice_epoch_ms(v_now), boxoffice_epoch_ms(v_expires);
END $$;
--> statement-breakpoint
-- A release: 'not-found', 'forbidden', or the hold's state and expiry with the clock it was judged by.
-- A live hold is released; a paid one is left for the caller to refuse.
CREATE OR REPLACE FUNCTION boxoffice_release(p_hold_id uuid, p_user_id uuid)
  RETURNS TABLE (outcome text, state text, expires_at_ms float8, now_ms float8)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_hold holds%ROWTYPE;
  v_now timestamptz;
BEGIN
  SELECT * INTO v_hold FROM holds h WHERE h.hold_id = p_hold_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not-found'::text, NULL::text, NULL::float8, NULL::float8;
    RETURN;
  END IF;
  IF v_hold.user_id <> p_user_id THEN
    RETURN QUERY SELECT 'forbidden'::text, NULL::text, NULL::float8, NULL::float8;
    RETURN;
  END IF;
  PERFORM 1 FROM seats s WHERE s.date_id = v_hold.date_id AND s.seat_number = ANY (v_hold.seat_numbers)
  ORDER BY s.seat_number FOR UPDATE;
  v_now := boxoffice_now();
  IF v_hold.state = 'held' AND v_hold.expires_at > v_now THEN
    UPDATE holds SET state = 'released' WHERE hold_id = p_hold_id;
    UPDATE seats SET hold_id = NULL, hold_user_id = NULL, hold_expires_at = NULL
    WHERE date_id = v_hold.date_id AND seat_number = ANY (v_hold.seat_numbers) AND hold_id = p_hold_id;
  END IF;
  RETURN QUERY SELECT 'judged'::text, v_hold.state, boxoffice_epoch_ms(v_hold.expires_at), boxoffice_epoch_ms(v_now);
END $$;
--> statement-breakpoint
-- A payment: debit, sell, mark paid, append the ledger and record the idempotency outcome, all or nothing.
-- Answers 'paid', 'not-found', 'forbidden', 'judged' (the hold is not payable: its state, expiry and the
-- clock are returned), 'in-flight' or 'insufficient' (with the balance).
CREATE OR REPLACE FUNCTION boxoffice_pay(
  p_payment_id uuid, p_hold_id uuid, p_user_id uuid, p_key text, p_attempt_id uuid
) RETURNS TABLE (
  outcome text, state text, date_id uuid, seat_numbers int[], amount_krw int,
  expires_at_ms float8, now_ms float8, balance_krw int
)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_hold holds%ROWTYPE;
  v_balance bigint;
  v_seats_ours int;
  v_now timestamptz;
BEGIN
  SELECT * INTO v_hold FROM holds h WHERE h.hold_id = p_hold_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not-found'::text, NULL::text, NULL::uuid, NULL::int[], NULL::int, NULL::float8, NULL::float8, NULL::int;
    RETURN;
  END IF;
  IF v_hold.user_id <> p_user_id THEN
    RETURN QUERY SELECT 'forbidden'::text, NULL::text, NULL::uuid, NULL::int[], NULL::int, NULL::float8, NULL::float8, NULL::int;
    RETURN;
  END IF;
  IF NOT boxoffice_claim_is_current(p_user_id, p_key, p_attempt_id) THEN
    RETURN QUERY SELECT 'in-flight'::text, NULL::text, NULL::uuid, NULL::int[], NULL::int, NULL::float8, NULL::float8, NULL::int;
    RETURN;
  END IF;
  SELECT w.balance_krw INTO v_balance FROM wallets w WHERE w.user_id = p_user_id FOR UPDATE;
  -- Seats that are still this hold's and unsold, locked in seat order.
  SELECT count(*) INTO v_seats_ours FROM (
    SELECT s.hold_id, s.sold_user_id FROM seats s
    WHERE s.date_id = v_hold.date_id AND s.seat_number = ANY (v_hold.seat_numbers)
    ORDER BY s.seat_number FOR UPDATE
  ) locked WHERE locked.hold_id = p_hold_id AND locked.sold_user_id IS NULL;
  -- The deciding check, by the clock after every lock is held.
  v_now := boxoffice_now();
  IF v_hold.state <> 'held' OR v_hold.expires_at <= v_now OR v_seats_ours <> cardinality(v_hold.seat_numbers) THEN
    RETURN QUERY SELECT 'judged'::text,
      CASE WHEN v_hold.state = 'held' AND v_hold.expires_at > v_now THEN 'released' ELSE v_hold.state END,
      v_hold.date_id, v_hold.seat_numbers, v_hold.amount_krw,
      boxoffice_epoch_ms(v_hold.expires_at), boxoffice_epoch_ms(v_now), NULL::int;
    RETURN;
  END IF;
  IF coalesce(v_balance, 0) < v_hold.amount_krw THEN
    RETURN QUERY SELECT 'insufficient'::text, v_hold.state, v_hold.date_id, v_hold.seat_numbers, v_hold.amount_krw,
      boxoffice_epoch_ms(v_hold.expires_at), boxoffice_epoch_ms(v_now), coalesce(v_balance, 0)::int;
    RETURN;
  END IF;
  UPDATE wallets w SET balance_krw = w.balance_krw - v_hold.amount_krw WHERE w.user_id = p_user_id
  RETURNING w.balance_krw INTO v_balance;
  INSERT INTO payments (payment_id, user_id, hold_id, date_id, amount_krw, seat_numbers, paid_at)
  VALUES (p_payment_id, p_user_id, p_hold_id, v_hold.date_id, v_hold.amount_krw, v_hold.seat_numbers, v_now);
  INSERT INTO sales (date_id, seat_number, payment_id, user_id)
  SELECT v_hold.date_id, unnest(v_hold.seat_numbers), p_payment_id, p_user_id;
  UPDATE seats SET sold_user_id = p_user_id, hold_id = NULL, hold_user_id = NULL, hold_expires_at = NULL
  WHERE seats.date_id = v_hold.date_id AND seats.seat_number = ANY (v_hold.seat_numbers);
  UPDATE holds SET state = 'paid' WHERE hold_id = p_hold_id;
  INSERT INTO ledger_entries (user_id, kind, reference_id, amount_krw, at)
  VALUES (p_user_id, 'payment', p_payment_id, v_hold.amount_krw, v_now);
  IF p_key IS NOT NULL THEN
    UPDATE idempotency_records r SET outcome = jsonb_build_object(
      '_tag', 'Paid',
      'receipt', jsonb_build_object(
        'paymentId', p_payment_id, 'holdId', p_hold_id, 'dateId', v_hold.date_id,
        'amountKrw', v_hold.amount_krw, 'seatNumbers', to_jsonb(v_hold.seat_numbers),
        'balanceKrw', v_balance, 'paidAt', boxoffice_iso_ms(v_now)))
    WHERE r.user_id = p_user_id AND r.key = p_key AND r.attempt_id = p_attempt_id;
  END IF;
  RETURN QUERY SELECT 'paid'::text, 'paid'::text, v_hold.date_id, v_hold.seat_numbers, v_hold.amount_krw,
    boxoffice_epoch_ms(v_hold.expires_at), boxoffice_epoch_ms(v_now), v_balance::int;
END $$;
