DROP INDEX "holds_sweep_idx";--> statement-breakpoint
CREATE INDEX "seats_hold_expiry_idx" ON "seats" USING btree ("hold_expires_at") WHERE "seats"."hold_expires_at" is not null;