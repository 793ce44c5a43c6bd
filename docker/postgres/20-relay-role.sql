-- Runs once, when the postgres container initialises its data directory, after 10-outbox.sql.
-- The relay's least-privilege role: it may open replication connections and read the outbox,
-- nothing else. The publication and slot are created by the table owner (the `init` service).
CREATE ROLE outbox_relay LOGIN REPLICATION PASSWORD 'relay-secret';
GRANT SELECT ON public.outbox TO outbox_relay;
