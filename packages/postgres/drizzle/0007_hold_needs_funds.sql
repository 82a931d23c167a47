-- Seats are not free to hoard (decision 71). A concert with `holdNeedsFunds` passes p_reserves_funds: the
-- hold reserves its amount from the user's wallet, and L2 grows: available = balance - the amounts of the
-- user's live reserving holds (state 'held', expires_at > now, by the clock read after the locks) >= 0.
-- A hold is refused when available is short; a payment may spend only what the user's other reservations
-- leave; a release or an expiry frees a reservation by itself, with no janitor (L4).
-- Holds made before keep reserves_funds false; the partial index finds one user's reserving holds that
-- are still 'held', by expiry, so the live ones are one range.
ALTER TABLE "holds" ADD COLUMN "reserves_funds" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
CREATE INDEX "holds_reserving_user_idx" ON "holds" USING btree ("user_id","expires_at") WHERE "holds"."reserves_funds" and "holds"."state" = 'held';
--> statement-breakpoint
DROP FUNCTION boxoffice_hold(uuid, uuid, uuid, int[], int, int, int, float8);
--> statement-breakpoint
-- A hold: 'held', 'seat-unavailable' with the taken seats, 'hold-limit' with the seats the user has,
-- 'queue-token-expired' when the clock, read after the locks, has reached the caller's active window's end,
-- or 'insufficient' with what was available, when the hold reserves funds and the amount does not fit.
-- Lock order: the (user, date) advisory lock, then, only for a hold that reserves funds, the user's wallet
-- row (the lock boxoffice_pay and boxoffice_charge take, and every other reserving hold of the user), then
-- the seat rows in seat order. That is the global order (docs/postgres.md): advisory or hold row, wallet
-- row, seat rows; no caller waits on an earlier lock than one it holds, so none can deadlock another.
CREATE FUNCTION boxoffice_hold(
  p_hold_id uuid, p_user_id uuid, p_date_id uuid, p_seat_numbers int[], p_amount_krw int,
  p_hold_seconds int, p_max_seats_per_user int, p_active_until_ms float8, p_reserves_funds boolean,
  OUT outcome text, OUT taken int[], OUT seats_already int, OUT created_at_ms float8, OUT expires_at_ms float8,
  OUT available_krw int
)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_locked int;
  v_now timestamptz;
  v_expires timestamptz;
  v_balance bigint;
  v_reserved bigint;
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
  -- Serializes everything that changes what the user has available: their payments, charges and reserving
  -- holds on any date. No row means a zero balance, and nothing to reserve from.
  IF p_reserves_funds THEN
    SELECT w.balance_krw INTO v_balance FROM wallets w WHERE w.user_id = p_user_id FOR UPDATE;
  END IF;
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
  IF boxoffice_epoch_ms(v_now) >= p_active_until_ms THEN
    outcome := 'queue-token-expired';
    RETURN;
  END IF;
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
  -- Copy of availableKrw and reserve (core rules/WalletArithmetic): the balance less the user's live
  -- reservations, by a snapshot taken after the wallet lock, so every reserving hold and payment of the
  -- user that committed before is seen.
  IF p_reserves_funds THEN
    SELECT coalesce(sum(h.amount_krw), 0) INTO v_reserved FROM holds h
    WHERE h.user_id = p_user_id AND h.reserves_funds AND h.state = 'held' AND h.expires_at > v_now;
    available_krw := coalesce(v_balance, 0) - v_reserved;
    IF p_amount_krw > available_krw THEN
      outcome := 'insufficient';
      RETURN;
    END IF;
  END IF;
  v_expires := v_now + make_interval(secs => p_hold_seconds);
  WITH held AS (
    INSERT INTO holds (hold_id, user_id, date_id, seat_numbers, amount_krw, state, created_at, expires_at,
      reserves_funds)
    VALUES (p_hold_id, p_user_id, p_date_id, p_seat_numbers, p_amount_krw, 'held', v_now, v_expires,
      p_reserves_funds)
  )
  UPDATE seats SET hold_id = p_hold_id, hold_user_id = p_user_id, hold_expires_at = v_expires
  WHERE date_id = p_date_id AND seat_number = ANY (p_seat_numbers);
  outcome := 'held';
  created_at_ms := boxoffice_epoch_ms(v_now);
  expires_at_ms := boxoffice_epoch_ms(v_expires);
END $$;
--> statement-breakpoint
DROP FUNCTION boxoffice_pay(uuid, uuid, uuid, uuid, uuid, text, text);
--> statement-breakpoint
-- A payment with the queue token `p_queue_token_id` of `p_concert_id`: debit, sell, mark paid, record the
-- payment with its token, append the ledger and record the key's outcome, all or nothing. Answers 'paid',
-- 'queue-token-paid' (a payment was made with the token already), 'not-found', 'forbidden', 'other-concert',
-- 'sale-closed', 'judged' (the hold is not payable: its state, expiry and the clock are returned),
-- 'insufficient' (with what was available: the balance less the user's other live reservations), or the
-- key's answer ('replay' with the outcome, 'in-flight', 'key-reused').
-- Lock order: idempotency key (tried, never waited on), queue token (advisory, waited on), hold row, wallet
-- row, seat rows in seat order. Only this function takes a token's lock, always before any row lock. The
-- wallet row is also what boxoffice_charge and every reserving boxoffice_hold of the user lock, so the
-- user's reservations read after it can only shrink until this commits.
CREATE FUNCTION boxoffice_pay(
  p_payment_id uuid, p_hold_id uuid, p_user_id uuid, p_concert_id uuid, p_queue_token_id uuid, p_key text,
  p_fingerprint text,
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
  v_reserved bigint;
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
  -- Then the token, after the key so that a replay still answers: it pays once. Its lock serializes the
  -- payments made with it, so the check below, by a snapshot taken after the lock, sees any that committed;
  -- the unique queue_token_id of payments is the last guard.
  PERFORM pg_advisory_xact_lock(hashtextextended('boxoffice-token:' || p_queue_token_id::text, 0));
  PERFORM 1 FROM payments p WHERE p.queue_token_id = p_queue_token_id;
  IF FOUND THEN
    outcome := 'queue-token-paid';
    RETURN;
  END IF;
  SELECT h.hold_id, h.user_id, h.date_id, h.seat_numbers, h.amount_krw, h.state, h.created_at, h.expires_at,
    h.reserves_funds, d.concert_id, d.starts_at
  INTO v_hold.hold_id, v_hold.user_id, v_hold.date_id, v_hold.seat_numbers, v_hold.amount_krw, v_hold.state,
    v_hold.created_at, v_hold.expires_at, v_hold.reserves_funds, v_concert_id, v_starts_at
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
  -- Copy of debitAvailable (core rules/WalletArithmetic): the amount must fit in the balance less the user's
  -- other live reservations. A hold that reserves pays out of its own reservation, so it always fits; one
  -- that does not may not spend money the user's reserving holds keep (L2).
  SELECT coalesce(sum(h.amount_krw), 0) INTO v_reserved FROM holds h
  WHERE h.user_id = p_user_id AND h.reserves_funds AND h.state = 'held' AND h.expires_at > v_now
    AND h.hold_id <> p_hold_id;
  IF coalesce(v_balance, 0) - v_reserved < v_hold.amount_krw THEN
    outcome := 'insufficient';
    balance_krw := coalesce(v_balance, 0) - v_reserved;
    RETURN;
  END IF;
  -- Every write of the sale in one statement; the unique (date, seat) key of sales is the last guard.
  WITH debited AS (
    UPDATE wallets w SET balance_krw = w.balance_krw - v_hold.amount_krw WHERE w.user_id = p_user_id
    RETURNING w.balance_krw
  ), payment AS (
    INSERT INTO payments (payment_id, user_id, hold_id, date_id, amount_krw, seat_numbers, paid_at, queue_token_id)
    VALUES (p_payment_id, p_user_id, p_hold_id, v_hold.date_id, v_hold.amount_krw, v_hold.seat_numbers, v_now,
      p_queue_token_id)
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
