CREATE TABLE "boxoffice_clock" (
	"id" integer PRIMARY KEY NOT NULL,
	"frozen_at" timestamp with time zone,
	CONSTRAINT "boxoffice_clock_single_row" CHECK ("boxoffice_clock"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "concert_dates" (
	"date_id" uuid PRIMARY KEY NOT NULL,
	"concert_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"price_krw" integer NOT NULL,
	"seat_count" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "concerts" (
	"concert_id" uuid PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"policy" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "holds" (
	"hold_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"date_id" uuid NOT NULL,
	"seat_numbers" integer[] NOT NULL,
	"amount_krw" integer NOT NULL,
	"state" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "holds_state_check" CHECK ("holds"."state" in ('held', 'paid', 'released'))
);
--> statement-breakpoint
CREATE TABLE "idempotency_records" (
	"user_id" uuid NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"attempt_id" uuid NOT NULL,
	"lease_until" timestamp with time zone NOT NULL,
	"outcome" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_records_user_id_key_pk" PRIMARY KEY("user_id","key")
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"entry_id" bigserial PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"reference_id" uuid NOT NULL,
	"amount_krw" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "ledger_entries_reference_id_unique" UNIQUE("reference_id"),
	CONSTRAINT "ledger_entries_kind_check" CHECK ("ledger_entries"."kind" in ('charge', 'payment')),
	CONSTRAINT "ledger_entries_amount_check" CHECK ("ledger_entries"."amount_krw" >= 0)
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"payment_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"hold_id" uuid NOT NULL,
	"date_id" uuid NOT NULL,
	"amount_krw" integer NOT NULL,
	"seat_numbers" integer[] NOT NULL,
	"paid_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payments_hold_id_unique" UNIQUE("hold_id")
);
--> statement-breakpoint
CREATE TABLE "sales" (
	"date_id" uuid NOT NULL,
	"seat_number" integer NOT NULL,
	"payment_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	CONSTRAINT "sales_date_id_seat_number_pk" PRIMARY KEY("date_id","seat_number")
);
--> statement-breakpoint
CREATE TABLE "seats" (
	"date_id" uuid NOT NULL,
	"seat_number" integer NOT NULL,
	"hold_id" uuid,
	"hold_user_id" uuid,
	"hold_expires_at" timestamp with time zone,
	"sold_user_id" uuid,
	CONSTRAINT "seats_date_id_seat_number_pk" PRIMARY KEY("date_id","seat_number")
);
--> statement-breakpoint
CREATE TABLE "wallets" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"balance_krw" bigint NOT NULL,
	CONSTRAINT "wallets_balance_check" CHECK ("wallets"."balance_krw" >= 0 and "wallets"."balance_krw" <= 1000000000)
);
--> statement-breakpoint
ALTER TABLE "concert_dates" ADD CONSTRAINT "concert_dates_concert_id_concerts_concert_id_fk" FOREIGN KEY ("concert_id") REFERENCES "concerts"("concert_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "holds" ADD CONSTRAINT "holds_date_id_concert_dates_date_id_fk" FOREIGN KEY ("date_id") REFERENCES "concert_dates"("date_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_hold_id_holds_hold_id_fk" FOREIGN KEY ("hold_id") REFERENCES "holds"("hold_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales" ADD CONSTRAINT "sales_date_id_concert_dates_date_id_fk" FOREIGN KEY ("date_id") REFERENCES "concert_dates"("date_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seats" ADD CONSTRAINT "seats_date_id_concert_dates_date_id_fk" FOREIGN KEY ("date_id") REFERENCES "concert_dates"("date_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "concert_dates_concert_idx" ON "concert_dates" USING btree ("concert_id","position");--> statement-breakpoint
CREATE INDEX "holds_sweep_idx" ON "holds" USING btree ("expires_at") WHERE "holds"."state" = 'held';--> statement-breakpoint
CREATE INDEX "ledger_entries_user_idx" ON "ledger_entries" USING btree ("user_id","entry_id");--> statement-breakpoint
CREATE INDEX "payments_user_idx" ON "payments" USING btree ("user_id","paid_at");--> statement-breakpoint
CREATE INDEX "seats_hold_user_idx" ON "seats" USING btree ("date_id","hold_user_id");--> statement-breakpoint
CREATE INDEX "seats_sold_user_idx" ON "seats" USING btree ("date_id","sold_user_id");