-- Seat classes (decision 77): a date may declare classes `[{ name, priceKrw, from, to }]`; a seat inside one
-- costs the class's price, any other the date's. Each seat row carries its own price and class, set when its
-- date is created; a hold prices itself from the seat rows it locks and fixes each seat's price and class into
-- the hold, so a payment pays the sum of its seats' prices at the time of the hold (L3).
-- An existing database keeps working: its dates get no classes, its seats the date's price, and its holds the
-- date's price per seat (before this migration every seat of a date cost the date's price). The backfills
-- rewrite `seats` and `holds` once: on large tables, migrate outside a sale.
ALTER TABLE "concert_dates" ADD COLUMN IF NOT EXISTS "classes" jsonb DEFAULT '[]'::jsonb NOT NULL;
--> statement-breakpoint
ALTER TABLE "seats" ADD COLUMN IF NOT EXISTS "price_krw" integer;
--> statement-breakpoint
ALTER TABLE "seats" ADD COLUMN IF NOT EXISTS "class_name" text;
--> statement-breakpoint
UPDATE "seats" s SET "price_krw" = d."price_krw" FROM "concert_dates" d
WHERE d."date_id" = s."date_id" AND s."price_krw" IS NULL;
--> statement-breakpoint
ALTER TABLE "seats" ALTER COLUMN "price_krw" SET NOT NULL;
--> statement-breakpoint
ALTER TABLE "holds" ADD COLUMN IF NOT EXISTS "seat_prices" integer[];
--> statement-breakpoint
ALTER TABLE "holds" ADD COLUMN IF NOT EXISTS "seat_classes" text[];
--> statement-breakpoint
UPDATE "holds" h SET
  "seat_prices" = array_fill(d."price_krw", ARRAY[cardinality(h."seat_numbers")]),
  "seat_classes" = array_fill(NULL::text, ARRAY[cardinality(h."seat_numbers")])
FROM "concert_dates" d
WHERE d."date_id" = h."date_id" AND (h."seat_prices" IS NULL OR h."seat_classes" IS NULL);
--> statement-breakpoint
ALTER TABLE "holds" ALTER COLUMN "seat_prices" SET NOT NULL;
--> statement-breakpoint
ALTER TABLE "holds" ALTER COLUMN "seat_classes" SET NOT NULL;
--> statement-breakpoint
-- A hold's seats as the receipt and the adapter read them: `[{ seatNumber, priceKrw, className }]` in the
-- order of `p_seat_numbers` (core's PricedSeat, as JSON).
CREATE OR REPLACE FUNCTION boxoffice_priced_seats(p_seat_numbers int[], p_prices int[], p_classes text[])
  RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
  SELECT coalesce(
    jsonb_agg(jsonb_build_object('seatNumber', u.seat_number, 'priceKrw', u.price_krw, 'className', u.class_name)
      ORDER BY u.position),
    '[]'::jsonb)
  FROM unnest(p_seat_numbers, p_prices, p_classes) WITH ORDINALITY AS u(seat_number, price_krw, class_name, position)
$$;
--> statement-breakpoint
-- A concert, its dates (with their classes) and their seats, each seat with its price and class. The join
-- on the classes is the copy of seatClassOf and seatPriceKrw (core rules/SeatClasses): a seat inside a
-- class's `from..to` costs the class's price, any other the date's. The engine has checked the classes
-- (checkSeatClasses): they lie within the date's seats and do not overlap, so each seat matches at most
-- one; two would break the seats' primary key and insert nothing.
CREATE OR REPLACE FUNCTION boxoffice_create_concert(p_concert_id uuid, p_title text, p_policy jsonb, p_dates jsonb)
  RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  INSERT INTO concerts (concert_id, title, policy) VALUES (p_concert_id, p_title, p_policy);
  INSERT INTO concert_dates (date_id, concert_id, position, starts_at, price_krw, seat_count, classes)
  SELECT (d.value->>'dateId')::uuid, p_concert_id, (d.ordinality - 1)::int, (d.value->>'startsAt')::timestamptz,
    (d.value->>'priceKrw')::int, (d.value->>'seatCount')::int, coalesce(d.value->'classes', '[]'::jsonb)
  FROM jsonb_array_elements(p_dates) WITH ORDINALITY d;
  WITH dates AS (
    SELECT (d.value->>'dateId')::uuid AS date_id, (d.value->>'priceKrw')::int AS price_krw,
      (d.value->>'seatCount')::int AS seat_count, coalesce(d.value->'classes', '[]'::jsonb) AS classes
    FROM jsonb_array_elements(p_dates) d
  ), classes AS (
    SELECT d.date_id, c.value->>'name' AS name, (c.value->>'priceKrw')::int AS price_krw,
      (c.value->>'from')::int AS seat_from, (c.value->>'to')::int AS seat_to
    FROM dates d CROSS JOIN LATERAL jsonb_array_elements(d.classes) c
  )
  INSERT INTO seats (date_id, seat_number, price_krw, class_name)
  SELECT d.date_id, n.seat_number, coalesce(c.price_krw, d.price_krw), c.name
  FROM dates d
  CROSS JOIN LATERAL generate_series(1, d.seat_count) AS n(seat_number)
  LEFT JOIN classes c ON c.date_id = d.date_id AND n.seat_number BETWEEN c.seat_from AND c.seat_to;
END $$;
--> statement-breakpoint
DROP FUNCTION IF EXISTS boxoffice_hold(uuid, uuid, uuid, int[], int, int, int, float8, boolean);
--> statement-breakpoint
-- A hold: 'held' with its amount and its priced seats, 'seat-unavailable' with the taken seats, 'hold-limit' with the
-- seats the user has, 'queue-token-expired' when the clock, read after the locks, has reached the caller's
-- active window's end, or 'insufficient' with what was available, when the hold reserves funds and its amount
-- does not fit. The hold prices itself: each seat's own price and class, read from the seat rows it locks,
-- are fixed into the hold (`seat_prices`, `seat_classes`), and its amount is their sum (the copy of
-- priceSeats and seatsAmountKrw, core rules/SeatClasses and rules/PaymentPlan; L3).
-- Lock order (unchanged from 0007): the (user, date) advisory lock, then, only for a hold that reserves
-- funds, the user's wallet row, then the seat rows in seat order.
CREATE FUNCTION boxoffice_hold(
  p_hold_id uuid, p_user_id uuid, p_date_id uuid, p_seat_numbers int[], p_hold_seconds int,
  p_max_seats_per_user int, p_active_until_ms float8, p_reserves_funds boolean,
  OUT outcome text, OUT taken int[], OUT seats_already int, OUT created_at_ms float8, OUT expires_at_ms float8,
  OUT available_krw int, OUT amount_krw int, OUT priced_seats jsonb
)
  LANGUAGE plpgsql
  AS $$
DECLARE
  -- The hold's amount, the sum of its seats' prices: a parameter until 0007, when the engine priced holds.
  p_amount_krw int;
  v_locked int;
  v_prices int[];
  v_classes text[];
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
  -- The seat rows, locked in seat order, with their own prices and classes in the order asked.
  SELECT count(*), sum(locked.price_krw)::int,
    array_agg(locked.price_krw ORDER BY array_position(p_seat_numbers, locked.seat_number)),
    array_agg(locked.class_name ORDER BY array_position(p_seat_numbers, locked.seat_number))
  INTO v_locked, p_amount_krw, v_prices, v_classes
  FROM (
    SELECT s.seat_number, s.price_krw, s.class_name FROM seats s
    WHERE s.date_id = p_date_id AND s.seat_number = ANY (p_seat_numbers)
    ORDER BY s.seat_number FOR UPDATE
  ) locked;
  IF v_locked <> cardinality(p_seat_numbers) THEN
    RAISE EXCEPTION 'date % lacks some of seats %', p_date_id, p_seat_numbers;
  END IF;
  amount_krw := p_amount_krw;
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
    INSERT INTO holds (hold_id, user_id, date_id, seat_numbers, amount_krw, seat_prices, seat_classes, state,
      created_at, expires_at, reserves_funds)
    VALUES (p_hold_id, p_user_id, p_date_id, p_seat_numbers, p_amount_krw, v_prices, v_classes, 'held', v_now,
      v_expires, p_reserves_funds)
  )
  UPDATE seats SET hold_id = p_hold_id, hold_user_id = p_user_id, hold_expires_at = v_expires
  WHERE date_id = p_date_id AND seat_number = ANY (p_seat_numbers);
  outcome := 'held';
  priced_seats := boxoffice_priced_seats(p_seat_numbers, v_prices, v_classes);
  created_at_ms := boxoffice_epoch_ms(v_now);
  expires_at_ms := boxoffice_epoch_ms(v_expires);
END $$;
--> statement-breakpoint
DROP FUNCTION IF EXISTS boxoffice_pay(uuid, uuid, uuid, uuid, uuid, text, text);
--> statement-breakpoint
-- A payment with the queue token `p_queue_token_id` of `p_concert_id`: debit, sell, mark paid, record the
-- payment with its token, append the ledger and record the key's outcome, all or nothing. As in 0007, and it
-- answers the hold's seats with the prices and classes the hold fixed (`priced_seats`), which the recorded receipt
-- carries too: the payment's amount is the hold's, their sum (L3).
-- Answers 'paid', 'queue-token-paid' (a payment was made with the token already), 'not-found', 'forbidden',
-- 'other-concert', 'sale-closed', 'judged' (the hold is not payable: its state, expiry and the clock are
-- returned), 'insufficient' (with what was available: the balance less the user's other live reservations),
-- or the key's answer ('replay' with the outcome, 'in-flight', 'key-reused').
-- Lock order (unchanged): idempotency key (tried, never waited on), queue token (advisory, waited on), hold
-- row, wallet row, seat rows in seat order.
CREATE FUNCTION boxoffice_pay(
  p_payment_id uuid, p_hold_id uuid, p_user_id uuid, p_concert_id uuid, p_queue_token_id uuid, p_key text,
  p_fingerprint text,
  OUT outcome text, OUT state text, OUT date_id uuid, OUT seat_numbers int[], OUT amount_krw int,
  OUT expires_at_ms float8, OUT now_ms float8, OUT balance_krw int, OUT recorded jsonb, OUT priced_seats jsonb
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
  SELECT h.hold_id, h.user_id, h.date_id, h.seat_numbers, h.amount_krw, h.seat_prices, h.seat_classes, h.state,
    h.created_at, h.expires_at, h.reserves_funds, d.concert_id, d.starts_at
  INTO v_hold.hold_id, v_hold.user_id, v_hold.date_id, v_hold.seat_numbers, v_hold.amount_krw,
    v_hold.seat_prices, v_hold.seat_classes, v_hold.state, v_hold.created_at, v_hold.expires_at,
    v_hold.reserves_funds, v_concert_id, v_starts_at
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
  priced_seats := boxoffice_priced_seats(v_hold.seat_numbers, v_hold.seat_prices, v_hold.seat_classes);
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
        'amountKrw', v_hold.amount_krw, 'seatNumbers', to_jsonb(v_hold.seat_numbers), 'seats', priced_seats,
        'balanceKrw', d.balance_krw, 'paidAt', boxoffice_iso_ms(v_now))), v_now
    FROM debited d WHERE p_key IS NOT NULL
  )
  SELECT d.balance_krw INTO balance_krw FROM debited d;
  outcome := 'paid';
  state := 'paid';
END $$;
