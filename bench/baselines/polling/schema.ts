/**
 * The polling designs' outbox table (shared/seed-designs.md): a status column, attempt
 * count, created/updated times, and their two indexes.
 */
export const POLLING_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS outbox_polling (
  id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  aggregate_type text        NOT NULL,
  aggregate_id   text        NOT NULL,
  event_type     text        NOT NULL,
  payload        jsonb       NOT NULL,
  status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempt_count  int         NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_polling_status_created ON outbox_polling (status, created_at);
CREATE INDEX IF NOT EXISTS outbox_polling_aggregate ON outbox_polling (aggregate_type, aggregate_id);
`;
