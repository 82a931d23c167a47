-- One round trip per use case: a keyed charge or payment claims its key inside its own function,
-- and a concert is created by one call. A key is claimed with a transaction-level advisory lock,
-- tried without waiting: a second request with the key while the first runs answers 'in-flight'
-- at once, and the claim ends with the transaction, so a killed backend leaves no lease behind.
-- A record is written only with a success, in the same transaction, so it always holds an outcome.
DROP FUNCTION boxoffice_idempotency_begin(uuid, text, text, uuid, int);
--> statement-breakpoint
DROP FUNCTION boxoffice_charge(uuid, uuid, int, bigint, text, uuid);
--> statement-breakpoint
DROP FUNCTION boxoffice_pay(uuid, uuid, uuid, text, uuid);
--> statement-breakpoint
DROP FUNCTION boxoffice_claim_is_current(uuid, text, uuid);
--> statement-breakpoint
DELETE FROM idempotency_records WHERE outcome IS NULL;
--> statement-breakpoint
ALTER TABLE idempotency_records DROP COLUMN attempt_id, DROP COLUMN lease_until, ALTER COLUMN outcome SET NOT NULL;
--> statement-breakpoint
-- The advisory lock that claims a user's key for one transaction.
CREATE FUNCTION boxoffice_idempotency_lock_key(p_user_id uuid, p_key text) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT hashtextextended('boxoffice-key:' || p_user_id::text || ':' || p_key, 0) $$;
--> statement-breakpoint
-- What a keyed write must do first: 'run' (the key is this transaction's until it ends, or there is
-- no key), 'replay' with the recorded outcome, 'in-flight' or 'key-reused'.
CREATE FUNCTION boxoffice_idempotency_claim(p_user_id uuid, p_key text, p_fingerprint text)
  RETURNS TABLE (outcome text, recorded jsonb)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_row idempotency_records%ROWTYPE;
BEGIN
  IF p_key IS NULL THEN
    RETURN QUERY SELECT 'run'::text, NULL::jsonb;
    RETURN;
  END IF;
  IF NOT pg_try_advisory_xact_lock(boxoffice_idempotency_lock_key(p_user_id, p_key)) THEN
    RETURN QUERY SELECT 'in-flight'::text, NULL::jsonb;
    RETURN;
  END IF;
  -- A fresh snapshot, taken after the lock: a first attempt that held it has committed or rolled back.
  SELECT * INTO v_row FROM idempotency_records r WHERE r.user_id = p_user_id AND r.key = p_key;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'run'::text, NULL::jsonb;
  ELSIF v_row.fingerprint <> p_fingerprint THEN
    RETURN QUERY SELECT 'key-reused'::text, NULL::jsonb;
  ELSE
    RETURN QUERY SELECT 'replay'::text, v_row.outcome;
  END IF;
END $$;
--> statement-breakpoint
-- The recorded outcome of a key, for a request that is refused before it reaches its write (a payment
-- whose token ended with its first success): 'none', 'replay' with the outcome, or 'key-reused'.
CREATE FUNCTION boxoffice_idempotency_replay(p_user_id uuid, p_key text, p_fingerprint text)
  RETURNS TABLE (outcome text, recorded jsonb)
  LANGUAGE sql STABLE
  AS $$
  SELECT coalesce(
      (SELECT CASE WHEN r.fingerprint = p_fingerprint THEN 'replay' ELSE 'key-reused' END
       FROM idempotency_records r WHERE r.user_id = p_user_id AND r.key = p_key), 'none'),
    (SELECT r.outcome FROM idempotency_records r
     WHERE r.user_id = p_user_id AND r.key = p_key AND r.fingerprint = p_fingerprint)
$$;
--> statement-breakpoint
-- A charge: 'charged' with the new balance, 'balance-limit' with the current balance, or the key's answer
-- ('replay' with the outcome, 'in-flight', 'key-reused').
CREATE FUNCTION boxoffice_charge(
  p_charge_id uuid, p_user_id uuid, p_amount_krw int, p_balance_max_krw bigint, p_key text, p_fingerprint text
) RETURNS TABLE (outcome text, balance_krw int, recorded jsonb)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_claim text;
  v_recorded jsonb;
  v_balance bigint;
  v_now timestamptz;
BEGIN
  SELECT c.outcome, c.recorded INTO v_claim, v_recorded FROM boxoffice_idempotency_claim(p_user_id, p_key, p_fingerprint) c;
  IF v_claim <> 'run' THEN
    RETURN QUERY SELECT v_claim, NULL::int, v_recorded;
    RETURN;
  END IF;
  INSERT INTO wallets AS w (user_id, balance_krw) VALUES (p_user_id, p_amount_krw)
  ON CONFLICT (user_id) DO UPDATE SET balance_krw = w.balance_krw + excluded.balance_krw
    WHERE w.balance_krw + excluded.balance_krw <= p_balance_max_krw
  RETURNING w.balance_krw INTO v_balance;
  IF v_balance IS NULL THEN
    SELECT w.balance_krw INTO v_balance FROM wallets w WHERE w.user_id = p_user_id;
    RETURN QUERY SELECT 'balance-limit'::text, v_balance::int, NULL::jsonb;
    RETURN;
  END IF;
  v_now := boxoffice_now();
  INSERT INTO ledger_entries (user_id, kind, reference_id, amount_krw, at)
  VALUES (p_user_id, 'charge', p_charge_id, p_amount_krw, v_now);
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_records (user_id, key, fingerprint, outcome, created_at)
    VALUES (p_user_id, p_key, p_fingerprint, jsonb_build_object(
      '_tag', 'Charged',
      'receipt', jsonb_build_object('chargeId', p_charge_id, 'amountKrw', p_amount_krw, 'balanceKrw', v_balance)), v_now);
  END IF;
  RETURN QUERY SELECT 'charged'::text, v_balance::int, NULL::jsonb;
END $$;
--> statement-breakpoint
-- A payment on the token of `p_concert_id`: debit, sell, mark paid, append the ledger and record the key's
-- outcome, all or nothing. Answers 'paid', 'not-found', 'forbidden', 'other-concert', 'sale-closed',
-- 'judged' (the hold is not payable: its state, expiry and the clock are returned), 'insufficient' (with
-- the balance), or the key's answer ('replay' with the outcome, 'in-flight', 'key-reused').
CREATE FUNCTION boxoffice_pay(
  p_payment_id uuid, p_hold_id uuid, p_user_id uuid, p_concert_id uuid, p_key text, p_fingerprint text
) RETURNS TABLE (
  outcome text, state text, date_id uuid, seat_numbers int[], amount_krw int,
  expires_at_ms float8, now_ms float8, balance_krw int, recorded jsonb
)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_claim text;
  v_recorded jsonb;
  v_hold holds%ROWTYPE;
  v_date concert_dates%ROWTYPE;
  v_balance bigint;
  v_seats_ours int;
  v_now timestamptz;
BEGIN
  -- The key first: a replay must answer although the first success changed the hold.
  SELECT c.outcome, c.recorded INTO v_claim, v_recorded FROM boxoffice_idempotency_claim(p_user_id, p_key, p_fingerprint) c;
  IF v_claim <> 'run' THEN
    RETURN QUERY SELECT v_claim, NULL::text, NULL::uuid, NULL::int[], NULL::int, NULL::float8, NULL::float8, NULL::int, v_recorded;
    RETURN;
  END IF;
  SELECT * INTO v_hold FROM holds h WHERE h.hold_id = p_hold_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not-found'::text, NULL::text, NULL::uuid, NULL::int[], NULL::int, NULL::float8, NULL::float8, NULL::int, NULL::jsonb;
    RETURN;
  END IF;
  IF v_hold.user_id <> p_user_id THEN
    RETURN QUERY SELECT 'forbidden'::text, NULL::text, NULL::uuid, NULL::int[], NULL::int, NULL::float8, NULL::float8, NULL::int, NULL::jsonb;
    RETURN;
  END IF;
  SELECT * INTO v_date FROM concert_dates d WHERE d.date_id = v_hold.date_id;
  IF v_date.concert_id <> p_concert_id THEN
    RETURN QUERY SELECT 'other-concert'::text, NULL::text, NULL::uuid, NULL::int[], NULL::int, NULL::float8, NULL::float8, NULL::int, NULL::jsonb;
    RETURN;
  END IF;
  SELECT w.balance_krw INTO v_balance FROM wallets w WHERE w.user_id = p_user_id FOR UPDATE;
  -- Seats that are still this hold's and unsold, locked in seat order.
  SELECT count(*) INTO v_seats_ours FROM (
    SELECT s.hold_id, s.sold_user_id FROM seats s
    WHERE s.date_id = v_hold.date_id AND s.seat_number = ANY (v_hold.seat_numbers)
    ORDER BY s.seat_number FOR UPDATE
  ) locked WHERE locked.hold_id = p_hold_id AND locked.sold_user_id IS NULL;
  -- The deciding checks, by the clock after every lock is held.
  v_now := boxoffice_now();
  IF v_date.starts_at <= v_now THEN
    RETURN QUERY SELECT 'sale-closed'::text, NULL::text, v_hold.date_id, NULL::int[], NULL::int, NULL::float8, NULL::float8, NULL::int, NULL::jsonb;
    RETURN;
  END IF;
  IF v_hold.state <> 'held' OR v_hold.expires_at <= v_now OR v_seats_ours <> cardinality(v_hold.seat_numbers) THEN
    RETURN QUERY SELECT 'judged'::text,
      CASE WHEN v_hold.state = 'held' AND v_hold.expires_at > v_now THEN 'released' ELSE v_hold.state END,
      v_hold.date_id, v_hold.seat_numbers, v_hold.amount_krw,
      boxoffice_epoch_ms(v_hold.expires_at), boxoffice_epoch_ms(v_now), NULL::int, NULL::jsonb;
    RETURN;
  END IF;
  IF coalesce(v_balance, 0) < v_hold.amount_krw THEN
    RETURN QUERY SELECT 'insufficient'::text, v_hold.state, v_hold.date_id, v_hold.seat_numbers, v_hold.amount_krw,
      boxoffice_epoch_ms(v_hold.expires_at), boxoffice_epoch_ms(v_now), coalesce(v_balance, 0)::int, NULL::jsonb;
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
    INSERT INTO idempotency_records (user_id, key, fingerprint, outcome, created_at)
    VALUES (p_user_id, p_key, p_fingerprint, jsonb_build_object(
      '_tag', 'Paid',
      'receipt', jsonb_build_object(
        'paymentId', p_payment_id, 'holdId', p_hold_id, 'dateId', v_hold.date_id,
        'amountKrw', v_hold.amount_krw, 'seatNumbers', to_jsonb(v_hold.seat_numbers),
        'balanceKrw', v_balance, 'paidAt', boxoffice_iso_ms(v_now))), v_now);
  END IF;
  RETURN QUERY SELECT 'paid'::text, 'paid'::text, v_hold.date_id, v_hold.seat_numbers, v_hold.amount_krw,
    boxoffice_epoch_ms(v_hold.expires_at), boxoffice_epoch_ms(v_now), v_balance::int, NULL::jsonb;
END $$;
--> statement-breakpoint
-- A concert with its dates and their seats, in one call. `p_dates` is an array of
-- {dateId, startsAt (ISO), priceKrw, seatCount} in the concert's order.
CREATE FUNCTION boxoffice_create_concert(p_concert_id uuid, p_title text, p_policy jsonb, p_dates jsonb) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO concerts (concert_id, title, policy) VALUES (p_concert_id, p_title, p_policy);
  INSERT INTO concert_dates (date_id, concert_id, position, starts_at, price_krw, seat_count)
  SELECT (d.value->>'dateId')::uuid, p_concert_id, (d.ordinality - 1)::int, (d.value->>'startsAt')::timestamptz,
    (d.value->>'priceKrw')::int, (d.value->>'seatCount')::int
  FROM jsonb_array_elements(p_dates) WITH ORDINALITY d;
  INSERT INTO seats (date_id, seat_number)
  SELECT (d.value->>'dateId')::uuid, generate_series(1, (d.value->>'seatCount')::int)
  FROM jsonb_array_elements(p_dates) d;
END $$;
