-- A hold is made inside its token's active window (L6). The engine checks the window before it calls the
-- store, but time passes before the write (a lock wait here, a slow network), so the function checks the
-- window's end again by the clock it reads after its locks.
DROP FUNCTION boxoffice_hold(uuid, uuid, uuid, int[], int, int, int);
--> statement-breakpoint
-- A hold: 'held', 'seat-unavailable' with the taken seats, 'hold-limit' with the seats the user has, or
-- 'queue-token-expired' when the clock, read after the locks, has reached the caller's active window's end.
CREATE FUNCTION boxoffice_hold(
  p_hold_id uuid, p_user_id uuid, p_date_id uuid, p_seat_numbers int[], p_amount_krw int,
  p_hold_seconds int, p_max_seats_per_user int, p_active_until_ms float8,
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
