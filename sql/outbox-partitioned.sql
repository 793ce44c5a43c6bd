-- The outbox partitioned by created_at: `outbox-relay init --create-table --partitioned` runs this
-- file (with the table name from OUTBOX_TABLE), then creates the first partitions and a default
-- one. The leader relay keeps partitions of OUTBOX_PARTITION_PERIOD ahead of time and drops those
-- past OUTBOX_RETENTION once the slot has confirmed their rows (docs/production.md). The publication
-- publishes through the root (publish_via_partition_root), so records are the plain table's.
-- A primary key of a partitioned table must hold the partition key.
CREATE TABLE IF NOT EXISTS public.outbox (
  id             uuid        NOT NULL DEFAULT gen_random_uuid(),
  aggregate_type text        NOT NULL,  -- topic: outbox.event.<aggregate_type>
  aggregate_id   text        NOT NULL,  -- record key: one aggregate's events stay in order on one partition
  event_type     text        NOT NULL,  -- header event_type
  payload        jsonb       NOT NULL,  -- record value, as stored
  headers        jsonb,                 -- extra record headers: {"name": "value", ...}
  created_at     timestamptz NOT NULL DEFAULT now(),  -- record timestamp, and the partition key
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
