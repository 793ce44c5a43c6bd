-- Debezium's default outbox layout (the outbox event router's column names), for teams
-- moving off Debezium: run the relay with OUTBOX_PRESET=debezium against this table.
CREATE TABLE IF NOT EXISTS public.outbox (
  id            uuid         PRIMARY KEY,
  aggregatetype varchar(255) NOT NULL,
  aggregateid   varchar(255) NOT NULL,
  type          varchar(255) NOT NULL,
  payload       jsonb
);
