-- The outbox table outbox-relay reads by default. Applications insert one row per domain
-- event in the same transaction as their business change. `outbox-relay init --create-table`
-- runs this file (with the table name from OUTBOX_TABLE).
CREATE TABLE IF NOT EXISTS public.outbox (
  id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  aggregate_type text        NOT NULL,  -- topic: outbox.event.<aggregate_type>
  aggregate_id   text        NOT NULL,  -- record key: one aggregate's events stay in order on one partition
  event_type     text        NOT NULL,  -- header event_type
  payload        jsonb       NOT NULL,  -- record value, as stored
  headers        jsonb,                 -- extra record headers: {"name": "value", ...}
  created_at     timestamptz NOT NULL DEFAULT now()  -- record timestamp
);
