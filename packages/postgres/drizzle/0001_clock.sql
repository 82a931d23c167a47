-- The store's clock (the spec (docs/spec.md, Time)): the database's now(), unless a test froze it.
INSERT INTO "boxoffice_clock" ("id", "frozen_at") VALUES (1, NULL) ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION boxoffice_now() RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT coalesce((SELECT frozen_at FROM boxoffice_clock WHERE id = 1), now()) $$;
