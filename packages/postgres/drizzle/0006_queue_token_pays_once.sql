-- A queue token pays at most once, decided by the store that holds the money (decision 67). The engine
-- ends the token in the queue store after the payment commits, but until it does (or while that store is
-- away) the token still reads active there; so the payment records its token's id in the same transaction,
-- and refuses a second payment with it. Payments made before this migration keep a null token: the unique
-- constraint ignores nulls.
ALTER TABLE "payments" ADD COLUMN "queue_token_id" uuid;
--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_queue_token_id_unique" UNIQUE("queue_token_id");
--> statement-breakpoint
DROP FUNCTION boxoffice_pay(uuid, uuid, uuid, uuid, text, text);
--> statement-breakpoint
-- A payment with the queue token `p_queue_token_id` of `p_concert_id`: debit, sell, mark paid, record the
-- payment with its token, append the ledger and record the key's outcome, all or nothing. Answers 'paid',
-- 'queue-token-paid' (a payment was made with the token already), 'not-found', 'forbidden', 'other-concert',
-- 'sale-closed', 'judged' (the hold is not payable: its state, expiry and the clock are returned),
-- 'insufficient' (with the balance), or the key's answer ('replay' with the outcome, 'in-flight',
-- 'key-reused').
-- Lock order: idempotency key (tried, never waited on), queue token (advisory, waited on), hold row, wallet
-- row, seat rows in seat order. Only this function takes a token's lock, always before any row lock.
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
