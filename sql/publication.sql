-- What `outbox-relay init` does, for teams that prefer to run it themselves.
-- The publication must exist before the slot (on PostgreSQL < 18 a slot created first
-- can fail with "publication does not exist" for ever).
CREATE PUBLICATION outbox_relay FOR TABLE public.outbox WITH (publish = 'insert');
SELECT pg_create_logical_replication_slot('outbox_relay', 'pgoutput');

-- A least-privilege role for the relay: REPLICATION, and SELECT on the outbox only.
-- CREATE ROLE outbox_relay LOGIN REPLICATION PASSWORD '...';
-- GRANT SELECT ON public.outbox TO outbox_relay;
