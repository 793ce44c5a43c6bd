import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import type { RelayConfig } from '../../src/config/relay-config.js';
import { OutboxPartitions } from '../../src/outbox/partitions.js';
import { RetentionJob } from '../../src/outbox/retention.js';
import { allIdsSeen, checkDelivery } from './delivery-check.js';
import { expectNoLoss } from './fault-run.js';
import { consumeAll } from './kafka.js';
import type { WrittenEvent } from './outbox.js';
import { createOutboxFixture, type OutboxFixture } from './relay-harness.js';
import { waitFor } from './wait-for.js';

export const JOB_NAME = 'retention under test';

/** Rows stamped a day ago (past any retention below), one aggregate each, in plain SQL so that PL/pgSQL can run it too. */
export const insertAged = (aggregateType: string, rows: number, createdAt = "now() - interval '1 day'") =>
  `INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, created_at)
   SELECT '${aggregateType}', gen_random_uuid()::text, 'Happened', '{}', ${createdAt} FROM generate_series(1, ${rows})`;

/** Inside a transaction, a WAL position before its commit: a relay may confirm it without having published the transaction. */
export const walInsertPosition = async (client: pg.Client) =>
  (await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]
    ?.lsn as string;

/**
 * A retention job driven round by round, the slot confirmed by hand in between as by a relay that
 * has published everything before a position and nothing after it (Kafka down, or the transaction
 * not decoded yet). Then a real relay publishes the rows, and later rounds delete them.
 */
export function useRetentionRounds(name: string, partitioned: boolean) {
  const context = {} as { fixture: OutboxFixture; sql: pg.Client; jobs: pg.Client[] };
  beforeAll(async () => {
    context.fixture = await createOutboxFixture(name, {}, undefined, partitioned);
    context.sql = new pg.Client({ connectionString: context.fixture.databaseUrl });
    await context.sql.connect();
    context.jobs = [];
  });
  afterAll(async () => {
    await Promise.all(context.jobs.map((client) => client.end()));
    await context.sql?.end();
    await context.fixture?.dispose();
  });

  return {
    get fixture() {
      return context.fixture;
    },
    get sql() {
      return context.sql;
    },
    /** A job on a connection of its own (JOB_NAME in pg_stat_activity), its rounds run by the test. */
    async job(overrides: Partial<RelayConfig> = {}): Promise<RetentionJob> {
      const client = new pg.Client({
        connectionString: context.fixture.databaseUrl,
        application_name: JOB_NAME,
      });
      await client.connect();
      context.jobs.push(client);
      const config = { ...context.fixture.config, retentionMs: 3_600_000, ...overrides };
      const partitions = partitioned
        ? new OutboxPartitions(client, config.table, config.partitionPeriodMs, () => undefined)
        : undefined;
      const ignore = () => undefined;
      return new RetentionJob(
        client,
        config,
        { deleted: ignore, droppedPartition: ignore, observed: ignore, failed: ignore },
        partitions,
      );
    },
    /** Another transaction ends, committed synchronously: the WAL is flushed up to its commit. */
    async commitElsewhere(): Promise<void> {
      await context.sql.query("SELECT pg_logical_emit_message(true, 'retention-test', '')");
    },
    /** Confirms the slot up to `lsn`, or up to the flushed WAL if that is less. */
    async confirm(lsn: string): Promise<void> {
      await context.sql.query('SELECT pg_replication_slot_advance($1, $2::pg_lsn)', [
        context.fixture.slot,
        lsn,
      ]);
    },
    async rows(aggregateType: string): Promise<WrittenEvent[]> {
      const { rows } = await context.sql.query<{ id: string; aggregate_id: string }>(
        'SELECT id, aggregate_id FROM outbox WHERE aggregate_type = $1',
        [aggregateType],
      );
      return rows.map((row) => ({ id: row.id, aggregateType, aggregateId: row.aggregate_id }));
    },
    /** A relay publishes them all; then rounds delete them, the slot confirmed by the relay as it goes. */
    async expectPublishedThenDeleted(job: RetentionJob, written: readonly WrittenEvent[]): Promise<void> {
      const fixture = context.fixture;
      await fixture.startRelay();
      const topics = [...new Set(written.map((event) => fixture.topic(event.aggregateType)))];
      const records = await consumeAll(fixture.kafkaBrokers, topics, {
        until: allIdsSeen(written.map((event) => event.id)),
        timeoutMs: 60_000,
      });
      expect(expectNoLoss(checkDelivery(written, records))).toEqual([]);
      const ids = written.map((event) => event.id);
      await waitFor(
        async () => {
          await job.round();
          // A fresh event after the round's mark: the relay confirms past the mark without waiting for a keepalive.
          await context.sql.query(insertAged('tick', 1, 'now()'));
          const { rows } = await context.sql.query('SELECT 1 FROM outbox WHERE id = ANY($1::uuid[])', [ids]);
          return rows.length === 0;
        },
        { timeoutMs: 60_000, intervalMs: 300, message: 'the rows deleted once the relay has confirmed them' },
      );
    },
  };
}

/** Opens a transaction that inserts rows only in subtransactions: after a SAVEPOINT, and in a PL/pgSQL EXCEPTION block. */
export async function openNestedTransaction(
  client: pg.Client,
  aggregateType: string,
  createdAt?: string,
): Promise<void> {
  await client.query('BEGIN');
  await client.query('SAVEPOINT nested');
  await client.query(insertAged(aggregateType, 3, createdAt));
  await client.query('RELEASE SAVEPOINT nested');
  await client.query(`DO $$ BEGIN ${insertAged(aggregateType, 2, createdAt)};
                      EXCEPTION WHEN unique_violation THEN NULL; END $$`);
}
