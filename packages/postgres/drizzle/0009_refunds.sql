CREATE TABLE "refunds" (
	"refund_id" uuid PRIMARY KEY NOT NULL,
	"payment_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"date_id" uuid NOT NULL,
	"amount_krw" integer NOT NULL,
	"fee_krw" integer NOT NULL,
	"by" text NOT NULL,
	"refunded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "refunds_payment_id_unique" UNIQUE("payment_id"),
	CONSTRAINT "refunds_by_check" CHECK ("refunds"."by" in ('user', 'host')),
	CONSTRAINT "refunds_amounts_check" CHECK ("refunds"."amount_krw" >= 0 and "refunds"."fee_krw" >= 0)
);
--> statement-breakpoint
ALTER TABLE "ledger_entries" DROP CONSTRAINT "ledger_entries_kind_check";--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_id_payments_payment_id_fk" FOREIGN KEY ("payment_id") REFERENCES "payments"("payment_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payments_date_idx" ON "payments" USING btree ("date_id","paid_at");--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_kind_check" CHECK ("ledger_entries"."kind" in ('charge', 'payment', 'refund'));--> statement-breakpoint
-- A refund (decision 78): the key's claim, then, by the clock read after every lock, the refund of payment
-- `p_payment_id` in one statement: the wallet credited `amount - p_fee_krw`, a refunds row beside the payment
-- (which stays), a ledger entry, the sales rows of its seats deleted and its seat rows unsold, so the seats are
-- available at once. The engine prices the fee and the deadline (core rules/Refunds); this function only compares
-- its clock with `p_deadline_ms`, and the credit with the balance cap (the copy of `credit`, core
-- rules/WalletArithmetic). `p_user_id` null: the host refunds any user's payment.
-- Answers 'refunded', 'not-found', 'forbidden', 'already-refunded', 'refund-closed', 'balance-limit' (with the
-- balance), or the key's answer ('replay' with the outcome, 'in-flight', 'key-reused').
-- Lock order: idempotency key (tried, never waited on), payment row, wallet row, seat rows in seat order; the
-- same order of wallet before seats as boxoffice_hold and boxoffice_pay, so none of them deadlock.
CREATE FUNCTION boxoffice_refund(
  p_refund_id uuid, p_payment_id uuid, p_user_id uuid, p_fee_krw int, p_deadline_ms float8, p_by text,
  p_key_user_id uuid, p_key text, p_fingerprint text,
  OUT outcome text, OUT amount_krw int, OUT balance_krw bigint, OUT refunded_at_ms float8, OUT recorded jsonb
)
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_fingerprint text;
  v_payment payments%ROWTYPE;
  v_balance bigint;
  v_now timestamptz;
BEGIN
  IF p_key IS NOT NULL THEN
    IF NOT pg_try_advisory_xact_lock(boxoffice_idempotency_lock_key(p_key_user_id, p_key)) THEN
      outcome := 'in-flight';
      RETURN;
    END IF;
    SELECT r.fingerprint, r.outcome INTO v_fingerprint, recorded
    FROM idempotency_records r WHERE r.user_id = p_key_user_id AND r.key = p_key;
    IF FOUND THEN
      outcome := CASE WHEN v_fingerprint = p_fingerprint THEN 'replay' ELSE 'key-reused' END;
      recorded := CASE WHEN v_fingerprint = p_fingerprint THEN recorded END;
      RETURN;
    END IF;
  END IF;
  -- The payment row serializes the refunds of one payment; the unique refunds.payment_id is the last guard.
  SELECT * INTO v_payment FROM payments p WHERE p.payment_id = p_payment_id FOR UPDATE;
  IF NOT FOUND THEN
    outcome := 'not-found';
    RETURN;
  ELSIF p_user_id IS NOT NULL AND v_payment.user_id <> p_user_id THEN
    outcome := 'forbidden';
    RETURN;
  END IF;
  PERFORM 1 FROM refunds r WHERE r.payment_id = p_payment_id;
  IF FOUND THEN
    outcome := 'already-refunded';
    RETURN;
  END IF;
  SELECT w.balance_krw INTO v_balance FROM wallets w WHERE w.user_id = v_payment.user_id FOR UPDATE;
  PERFORM 1 FROM seats s
  WHERE s.date_id = v_payment.date_id AND s.seat_number = ANY (v_payment.seat_numbers)
  ORDER BY s.seat_number FOR UPDATE;
  v_now := boxoffice_now();
  refunded_at_ms := boxoffice_epoch_ms(v_now);
  IF refunded_at_ms >= p_deadline_ms THEN
    outcome := 'refund-closed';
    RETURN;
  END IF;
  amount_krw := v_payment.amount_krw - p_fee_krw;
  IF coalesce(v_balance, 0) + amount_krw > 1000000000 THEN
    outcome := 'balance-limit';
    balance_krw := coalesce(v_balance, 0);
    RETURN;
  END IF;
  WITH credited AS (
    INSERT INTO wallets AS w (user_id, balance_krw) VALUES (v_payment.user_id, amount_krw)
    ON CONFLICT (user_id) DO UPDATE SET balance_krw = w.balance_krw + excluded.balance_krw
    RETURNING w.balance_krw
  ), refund AS (
    INSERT INTO refunds (refund_id, payment_id, user_id, date_id, amount_krw, fee_krw, by, refunded_at)
    VALUES (p_refund_id, p_payment_id, v_payment.user_id, v_payment.date_id, amount_krw, p_fee_krw, p_by, v_now)
  ), ledger AS (
    INSERT INTO ledger_entries (user_id, kind, reference_id, amount_krw, at)
    VALUES (v_payment.user_id, 'refund', p_refund_id, amount_krw, v_now)
  ), unsold AS (
    DELETE FROM sales
    WHERE sales.date_id = v_payment.date_id AND sales.seat_number = ANY (v_payment.seat_numbers)
      AND sales.payment_id = p_payment_id
  ), seats_back AS (
    UPDATE seats SET sold_user_id = NULL
    WHERE seats.date_id = v_payment.date_id AND seats.seat_number = ANY (v_payment.seat_numbers)
  ), record AS (
    INSERT INTO idempotency_records (user_id, key, fingerprint, outcome, created_at)
    SELECT p_key_user_id, p_key, p_fingerprint, jsonb_build_object(
      '_tag', 'Refunded',
      'receipt', jsonb_build_object(
        'refundId', p_refund_id, 'paymentId', p_payment_id, 'amountKrw', amount_krw, 'feeKrw', p_fee_krw,
        'balanceKrw', c.balance_krw, 'refundedAt', boxoffice_iso_ms(v_now))), v_now
    FROM credited c WHERE p_key IS NOT NULL
  )
  SELECT c.balance_krw INTO balance_krw FROM credited c;
  outcome := 'refunded';
END $$;
