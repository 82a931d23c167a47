-- One round trip per use case, and few statements inside each: every statement a function runs costs
-- its executor start and locks, so writes that belong together are one data-modifying CTE.
-- A keyed charge or payment claims its key inside its own function, with a transaction-level advisory
-- lock tried without waiting: a second request with the key while the first runs answers 'in-flight' at
-- once, and the claim ends with the transaction, so a killed backend leaves nothing behind. A record is
-- written only with a success, in the same transaction, so it always holds an outcome.
-- Functions answer one row of OUT parameters (cheaper than a set).
-- Lock order: idempotency key (tried, never waited on), hold row or (user, date) advisory lock, wallet
-- row, seat rows in seat order.
DROP FUNCTION boxoffice_idempotency_begin(uuid, text, text, uuid, int);
--> statement-breakpoint
DROP FUNCTION boxoffice_charge(uuid, uuid, int, bigint, text, uuid);
--> statement-breakpoint
DROP FUNCTION boxoffice_pay(uuid, uuid, uuid, text, uuid);
--> statement-breakpoint
DROP FUNCTION boxoffice_claim_is_current(uuid, text, uuid);
--> statement-breakpoint
DROP FUNCTION boxoffice_hold(uuid, uuid, uuid, int[], int, int, int);
--> statement-breakpoint
DROP FUNCTION boxoffice_release(uuid, uuid);
--> statement-breakpoint
DROP FUNCTION boxoffice_taken_seats(uuid, int[], timestamptz);
--> statement-breakpoint
DELETE FROM idempotency_records WHERE outcome IS NULL;
--> statement-breakpoint
ALTER TABLE idempotency_records DROP COLUMN attempt_id, DROP COLUMN lease_until, ALTER COLUMN outcome SET NOT NULL;
--> statement-breakpoint
-- The store's clock: the server's. A plain expression, so the planner inlines it where it is used. The
-- test suites replace this function with one that reads boxoffice_clock, to freeze and move time.
CREATE OR REPLACE FUNCTION boxoffice_now() RETURNS timestamptz
  LANGUAGE sql VOLATILE
  AS $$ SELECT clock_timestamp() $$;
--> statement-breakpoint
-- The advisory lock that claims a user's key for one transaction: a keyed charge or payment tries it
-- first, and answers 'in-flight' if another transaction holds it.
CREATE FUNCTION boxoffice_idempotency_lock_key(p_user_id uuid, p_key text) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT hashtextextended('boxoffice-key:' || p_user_id::text || ':' || p_key, 0) $$;
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
  p_charge_id uuid, p_user_id uuid, p_amount_krw int, p_balance_max_krw bigint, p_key text, p_fingerprint text,
  OUT outcome text, OUT balance_krw int, OUT recorded jsonb
)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_fingerprint text;
  v_now timestamptz;
BEGIN
  -- The key's claim, inline (a nested call costs a statement): tried, never waited on; then, by a snapshot
  -- taken after the lock, the first attempt's recorded answer, if it succeeded.
  IF p_key IS NOT NULL THEN
    IF NOT pg_try_advisory_xact_lock(boxoffice_idempotency_lock_key(p_user_id, p_key)) THEN
      outcome := 'in-flight';
      RETURN;
    END IF;
    SELECT r.fingerprint, r.outcome INTO v_fingerprint, recorded
    FROM idempotency_records r WHERE r.user_id = p_user_id AND r.key = p_key;
    IF FOUND THEN
      outcome := CASE WHEN v_fingerprint = p_fingerprint THEN 'replay' ELSE 'key-reused' END;
      recorded := CASE WHEN v_fingerprint = p_fingerprint THEN recorded END;
      RETURN;
    END IF;
  END IF;
  v_now := boxoffice_now();
  WITH credited AS (
    INSERT INTO wallets AS w (user_id, balance_krw) VALUES (p_user_id, p_amount_krw)
    ON CONFLICT (user_id) DO UPDATE SET balance_krw = w.balance_krw + excluded.balance_krw
      WHERE w.balance_krw + excluded.balance_krw <= p_balance_max_krw
    RETURNING w.balance_krw
  ), ledger AS (
    INSERT INTO ledger_entries (user_id, kind, reference_id, amount_krw, at)
    SELECT p_user_id, 'charge', p_charge_id, p_amount_krw, v_now FROM credited
  ), record AS (
    INSERT INTO idempotency_records (user_id, key, fingerprint, outcome, created_at)
    SELECT p_user_id, p_key, p_fingerprint, jsonb_build_object(
      '_tag', 'Charged',
      'receipt', jsonb_build_object('chargeId', p_charge_id, 'amountKrw', p_amount_krw, 'balanceKrw', c.balance_krw)), v_now
    FROM credited c WHERE p_key IS NOT NULL
  )
  SELECT c.balance_krw INTO balance_krw FROM credited c;
  IF balance_krw IS NULL THEN
    SELECT w.balance_krw INTO balance_krw FROM wallets w WHERE w.user_id = p_user_id;
    outcome := 'balance-limit';
    RETURN;
  END IF;
  outcome := 'charged';
END $$;
--> statement-breakpoint
-- A payment on the token of `p_concert_id`: debit, sell, mark paid, append the ledger and record the key's
-- outcome, all or nothing. Answers 'paid', 'not-found', 'forbidden', 'other-concert', 'sale-closed',
-- 'judged' (the hold is not payable: its state, expiry and the clock are returned), 'insufficient' (with
-- the balance), or the key's answer ('replay' with the outcome, 'in-flight', 'key-reused').
CREATE FUNCTION boxoffice_pay(
  p_payment_id uuid, p_hold_id uuid, p_user_id uuid, p_concert_id uuid, p_key text, p_fingerprint text,
  OUT outcome text, OUT state text, OUT date_id uuid, OUT seat_numbers int[], OUT amount_krw int,
  OUT expires_at_ms float8, OUT now_ms float8, OUT balance_krw int, OUT recorded jsonb
)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_fingerprint text;
  v_hold holds%ROWTYPE;
  v_concert_id uuid;
  v_starts_at timestamptz;
  v_balance bigint;
  v_seats_ours int;
  v_now timestamptz;
BEGIN
  -- The key first, so a replay answers although the first success changed the hold (claimed as in
  -- boxoffice_charge).
  IF p_key IS NOT NULL THEN
    IF NOT pg_try_advisory_xact_lock(boxoffice_idempotency_lock_key(p_user_id, p_key)) THEN
      outcome := 'in-flight';
      RETURN;
    END IF;
    SELECT r.fingerprint, r.outcome INTO v_fingerprint, recorded
    FROM idempotency_records r WHERE r.user_id = p_user_id AND r.key = p_key;
    IF FOUND THEN
      outcome := CASE WHEN v_fingerprint = p_fingerprint THEN 'replay' ELSE 'key-reused' END;
      recorded := CASE WHEN v_fingerprint = p_fingerprint THEN recorded END;
      RETURN;
    END IF;
  END IF;
  SELECT h.*, d.concert_id, d.starts_at INTO v_hold.hold_id, v_hold.user_id, v_hold.date_id, v_hold.seat_numbers,
    v_hold.amount_krw, v_hold.state, v_hold.created_at, v_hold.expires_at, v_concert_id, v_starts_at
  FROM holds h JOIN concert_dates d ON d.date_id = h.date_id
  WHERE h.hold_id = p_hold_id FOR UPDATE OF h;
  IF NOT FOUND THEN
    outcome := 'not-found';
    RETURN;
  ELSIF v_hold.user_id <> p_user_id THEN
    outcome := 'forbidden';
    RETURN;
  ELSIF v_concert_id <> p_concert_id THEN
    outcome := 'other-concert';
    RETURN;
  END IF;
  date_id := v_hold.date_id;
  seat_numbers := v_hold.seat_numbers;
  amount_krw := v_hold.amount_krw;
  expires_at_ms := boxoffice_epoch_ms(v_hold.expires_at);
  SELECT w.balance_krw INTO v_balance FROM wallets w WHERE w.user_id = p_user_id FOR UPDATE;
  -- Seats that are still this hold's and unsold, locked in seat order.
  SELECT count(*) INTO v_seats_ours FROM (
    SELECT s.hold_id, s.sold_user_id FROM seats s
    WHERE s.date_id = v_hold.date_id AND s.seat_number = ANY (v_hold.seat_numbers)
    ORDER BY s.seat_number FOR UPDATE
  ) locked WHERE locked.hold_id = p_hold_id AND locked.sold_user_id IS NULL;
  -- The deciding checks, by the clock after every lock is held.
  v_now := boxoffice_now();
  now_ms := boxoffice_epoch_ms(v_now);
  IF v_starts_at <= v_now THEN
    outcome := 'sale-closed';
    RETURN;
  END IF;
  IF v_hold.state <> 'held' OR v_hold.expires_at <= v_now OR v_seats_ours <> cardinality(v_hold.seat_numbers) THEN
    outcome := 'judged';
    state := CASE WHEN v_hold.state = 'held' AND v_hold.expires_at > v_now THEN 'released' ELSE v_hold.state END;
    RETURN;
  END IF;
  state := v_hold.state;
  IF coalesce(v_balance, 0) < v_hold.amount_krw THEN
    outcome := 'insufficient';
    balance_krw := coalesce(v_balance, 0);
    RETURN;
  END IF;
  -- Every write of the sale in one statement; the unique (date, seat) key of sales is the last guard.
  WITH debited AS (
    UPDATE wallets w SET balance_krw = w.balance_krw - v_hold.amount_krw WHERE w.user_id = p_user_id
    RETURNING w.balance_krw
  ), payment AS (
    INSERT INTO payments (payment_id, user_id, hold_id, date_id, amount_krw, seat_numbers, paid_at)
    VALUES (p_payment_id, p_user_id, p_hold_id, v_hold.date_id, v_hold.amount_krw, v_hold.seat_numbers, v_now)
  ), sold AS (
    INSERT INTO sales (date_id, seat_number, payment_id, user_id)
    SELECT v_hold.date_id, unnest(v_hold.seat_numbers), p_payment_id, p_user_id
  ), seats_sold AS (
    UPDATE seats SET sold_user_id = p_user_id, hold_id = NULL, hold_user_id = NULL, hold_expires_at = NULL
    WHERE seats.date_id = v_hold.date_id AND seats.seat_number = ANY (v_hold.seat_numbers)
  ), hold_paid AS (
    UPDATE holds SET state = 'paid' WHERE hold_id = p_hold_id
  ), ledger AS (
    INSERT INTO ledger_entries (user_id, kind, reference_id, amount_krw, at)
    VALUES (p_user_id, 'payment', p_payment_id, v_hold.amount_krw, v_now)
  ), record AS (
    INSERT INTO idempotency_records (user_id, key, fingerprint, outcome, created_at)
    SELECT p_user_id, p_key, p_fingerprint, jsonb_build_object(
      '_tag', 'Paid',
      'receipt', jsonb_build_object(
        'paymentId', p_payment_id, 'holdId', p_hold_id, 'dateId', v_hold.date_id,
        'amountKrw', v_hold.amount_krw, 'seatNumbers', to_jsonb(v_hold.seat_numbers),
        'balanceKrw', d.balance_krw, 'paidAt', boxoffice_iso_ms(v_now))), v_now
    FROM debited d WHERE p_key IS NOT NULL
  )
  SELECT d.balance_krw INTO balance_krw FROM debited d;
  outcome := 'paid';
  state := 'paid';
END $$;
--> statement-breakpoint
-- A hold: 'held', 'seat-unavailable' with the taken seats, or 'hold-limit' with the seats the user has.
CREATE FUNCTION boxoffice_hold(
  p_hold_id uuid, p_user_id uuid, p_date_id uuid, p_seat_numbers int[], p_amount_krw int,
  p_hold_seconds int, p_max_seats_per_user int,
  OUT outcome text, OUT taken int[], OUT seats_already int, OUT created_at_ms float8, OUT expires_at_ms float8
)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_locked int;
  v_now timestamptz;
  v_expires timestamptz;
BEGIN
  -- In a storm most calls want a seat that is visibly taken: turn them away before taking any lock.
  v_now := boxoffice_now();
  SELECT array_agg(s.seat_number ORDER BY s.seat_number) INTO taken FROM seats s
  WHERE s.date_id = p_date_id AND s.seat_number = ANY (p_seat_numbers)
    AND (s.sold_user_id IS NOT NULL OR s.hold_expires_at > v_now);
  IF taken IS NOT NULL THEN
    outcome := 'seat-unavailable';
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
  -- The deciding check, by the clock after the locks are held: the requested seats that are taken, and the
  -- seats the user already holds or owns on the date, in one scan.
  v_now := boxoffice_now();
  SELECT
    array_agg(s.seat_number ORDER BY s.seat_number) FILTER (
      WHERE s.seat_number = ANY (p_seat_numbers) AND (s.sold_user_id IS NOT NULL OR s.hold_expires_at > v_now)),
    count(*) FILTER (WHERE (s.hold_user_id = p_user_id AND s.hold_expires_at > v_now) OR s.sold_user_id = p_user_id)
  INTO taken, seats_already
  FROM seats s
  WHERE s.date_id = p_date_id
    AND (s.seat_number = ANY (p_seat_numbers) OR s.hold_user_id = p_user_id OR s.sold_user_id = p_user_id);
  IF taken IS NOT NULL THEN
    outcome := 'seat-unavailable';
    RETURN;
  END IF;
  IF seats_already + cardinality(p_seat_numbers) > p_max_seats_per_user THEN
    outcome := 'hold-limit';
    RETURN;
  END IF;
  v_expires := v_now + make_interval(secs => p_hold_seconds);
  WITH held AS (
    INSERT INTO holds (hold_id, user_id, date_id, seat_numbers, amount_krw, state, created_at, expires_at)
    VALUES (p_hold_id, p_user_id, p_date_id, p_seat_numbers, p_amount_krw, 'held', v_now, v_expires)
  )
  UPDATE seats SET hold_id = p_hold_id, hold_user_id = p_user_id, hold_expires_at = v_expires
  WHERE date_id = p_date_id AND seat_number = ANY (p_seat_numbers);
  outcome := 'held';
  created_at_ms := boxoffice_epoch_ms(v_now);
  expires_at_ms := boxoffice_epoch_ms(v_expires);
END $$;
--> statement-breakpoint
-- A release: 'not-found', 'forbidden', or the hold's state and expiry with the clock it was judged by.
-- A live hold is released; a paid one is left for the caller to refuse.
CREATE FUNCTION boxoffice_release(p_hold_id uuid, p_user_id uuid,
  OUT outcome text, OUT state text, OUT expires_at_ms float8, OUT now_ms float8)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_hold holds%ROWTYPE;
  v_now timestamptz;
BEGIN
  SELECT * INTO v_hold FROM holds h WHERE h.hold_id = p_hold_id FOR UPDATE;
  IF NOT FOUND THEN
    outcome := 'not-found';
    RETURN;
  ELSIF v_hold.user_id <> p_user_id THEN
    outcome := 'forbidden';
    RETURN;
  END IF;
  PERFORM 1 FROM seats s WHERE s.date_id = v_hold.date_id AND s.seat_number = ANY (v_hold.seat_numbers)
  ORDER BY s.seat_number FOR UPDATE;
  v_now := boxoffice_now();
  IF v_hold.state = 'held' AND v_hold.expires_at > v_now THEN
    WITH released AS (
      UPDATE holds SET state = 'released' WHERE hold_id = p_hold_id
    )
    UPDATE seats SET hold_id = NULL, hold_user_id = NULL, hold_expires_at = NULL
    WHERE date_id = v_hold.date_id AND seat_number = ANY (v_hold.seat_numbers) AND hold_id = p_hold_id;
  END IF;
  outcome := 'judged';
  state := v_hold.state;
  expires_at_ms := boxoffice_epoch_ms(v_hold.expires_at);
  now_ms := boxoffice_epoch_ms(v_now);
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
