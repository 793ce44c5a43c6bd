import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLsn } from '../../src/replication/lsn.js';
import { freePort } from '../support/free-port.js';
import { type ConsumedRecord, consumeAll, createTopics } from '../support/kafka.js';
import { sampleValue, scrape } from '../support/prometheus.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { startRelayProcess } from '../support/relay-process.js';
import { startKafka, stopKafka } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const DAY_MS = 86_400_000;

/** The same rows, ids and timestamps included, as an application would write them into either table. */
function rows(aggregateType: string, createdAt: Date, count: number) {
  return Array.from({ length: count }, (_, n) => ({
    id: randomUUID(),
    aggregate_type: aggregateType,
    aggregate_id: `a-${n % 7}`,
    payload: { n, text: 'é ✓', nested: { list: [1, 2.5, null] } },
    headers: { tenant: `t-${n % 3}` },
    created_at: createdAt.toISOString(),
  }));
}

async function insert(client: pg.Client, written: ReturnType<typeof rows>): Promise<void> {
  await client.query(
    `INSERT INTO outbox (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)
     SELECT id, aggregate_type, aggregate_id, 'Happened', payload, headers, created_at
       FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, aggregate_type text, aggregate_id text,
            payload jsonb, headers jsonb, created_at timestamptz)`,
    [JSON.stringify(written)],
  );
}

describe('a partitioned outbox (init --create-table --partitioned)', () => {
  let plain: OutboxFixture;
  let partitioned: OutboxFixture;
  let plainSql: pg.Client;
  let partitionedSql: pg.Client;

  beforeAll(async () => {
    plain = await createOutboxFixture('plainlayout', {}, undefined, false);
    partitioned = await createOutboxFixture(
      'partitioned',
      { OUTBOX_RETENTION: '1d', OUTBOX_RETENTION_INTERVAL_MS: '300' },
      undefined,
      true,
    );
    plainSql = new pg.Client({ connectionString: plain.databaseUrl });
    partitionedSql = new pg.Client({ connectionString: partitioned.databaseUrl });
    await plainSql.connect();
    await partitionedSql.connect();
  });

  afterAll(async () => {
    await startKafka();
    await plainSql?.end();
    await partitionedSql?.end();
    await plain?.dispose();
    await partitioned?.dispose();
  });

  const partitionsOf = async () =>
    (
      await partitionedSql.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'public.outbox'::regclass ORDER BY 1`,
      )
    ).rows.map((row) => row.name);

  it('has a default partition and partitions ahead, and publishes records byte-identical to the plain table', {
    timeout: 120_000,
  }, async () => {
    const names = await partitionsOf();
    expect(names).toContain('outbox_default');
    expect(names.filter((name) => /^outbox_p\d{8}$/.test(name)).length).toBeGreaterThanOrEqual(4);

    const written = rows('same', new Date(), 200);
    await insert(plainSql, written);
    await insert(partitionedSql, written);
    const [fromPlain, fromPartitioned] = await Promise.all(
      [plain, partitioned].map(async (fixture) => {
        const relay = startRelayProcess(['run'], fixture.env);
        try {
          return await consumeAll(fixture.kafkaBrokers, [fixture.topic('same')], {
            until: (received) => received.length >= written.length,
            timeoutMs: 60_000,
          });
        } finally {
          relay.kill('SIGTERM');
          await relay.exited;
        }
      }),
    );
    const bytes = (records: readonly ConsumedRecord[] = []) =>
      records
        .map((record) => ({
          partition: record.partition,
          key: record.keyBytes?.toString('hex'),
          value: record.value?.toString('hex'),
          headers: record.headerList.map(([name, value]) => [name, value?.toString('hex')]),
          timestamp: record.timestamp,
        }))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(fromPartitioned).toHaveLength(written.length);
    expect(bytes(fromPartitioned)).toEqual(bytes(fromPlain));
  });

  it('drops a partition past the retention only once the slot has confirmed its rows', {
    timeout: 120_000,
  }, async () => {
    // A partition three days back, past the 1-day retention.
    const from = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 3 * DAY_MS);
    const old = `outbox_p${from.toISOString().replace(/\D/g, '').slice(0, 8)}`;
    const port = await freePort();
    const relay = startRelayProcess(['run'], {
      ...partitioned.env,
      OUTBOX_LOG_LEVEL: 'info',
      OUTBOX_RETRY_MAX_MS: '2000',
      OUTBOX_METRICS_PORT: String(port),
      OUTBOX_METRICS_HOST: '127.0.0.1',
    });
    try {
      // The topic exists before the broker stops, as in a running system (not created on its restart).
      await createTopics(partitioned.kafkaBrokers, [partitioned.topic('aged')]);
      await waitFor(() => relay.output().includes('"msg":"streaming"'), {
        timeoutMs: 30_000,
        message: 'streams',
      });
      await stopKafka();
      // The partition and its rows appear together (an empty expired partition is dropped at once).
      const written = rows('aged', new Date(from.getTime() + 3_600_000), 50);
      await partitionedSql.query('BEGIN');
      await partitionedSql.query(
        `CREATE TABLE public.${old} PARTITION OF public.outbox
           FOR VALUES FROM ('${from.toISOString()}') TO ('${new Date(from.getTime() + DAY_MS).toISOString()}')`,
      );
      await insert(partitionedSql, written);
      await partitionedSql.query('COMMIT');
      // Past the retention, not confirmed: kept, round after round.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect(await partitionsOf()).toContain(old);

      await startKafka();
      const records = await consumeAll(partitioned.kafkaBrokers, [partitioned.topic('aged')], {
        until: (received) => written.every((row) => received.some((record) => record.headers.id === row.id)),
        timeoutMs: 60_000,
      });
      expect(new Set(records.map((record) => record.headers.id)).size).toBe(written.length);
      await waitFor(async () => !(await partitionsOf()).includes(old), {
        timeoutMs: 30_000,
        intervalMs: 300,
        message: 'the partition dropped once its rows are confirmed',
      });
      expect(relay.output()).toContain('dropped an outbox partition past the retention');
      // The table's size is its partitions' (a partitioned table has no storage of its own).
      expect(
        sampleValue(await scrape(`http://127.0.0.1:${port}`), 'outbox_table_size_bytes'),
      ).toBeGreaterThan(0);
    } finally {
      relay.kill('SIGKILL');
      await relay.exited;
    }
  });

  it("stops, confirming nothing past it, at a partition's row: publish_via_partition_root turned off while running", {
    timeout: 120_000,
  }, async () => {
    const fixture = await createOutboxFixture('partitionrow', {}, undefined, true);
    const sql = new pg.Client({ connectionString: fixture.databaseUrl });
    await sql.connect();
    const relay = startRelayProcess(['run'], { ...fixture.env, OUTBOX_LOG_LEVEL: 'info' });
    try {
      const before = rows('rooted', new Date(), 20);
      await insert(sql, before);
      await consumeAll(fixture.kafkaBrokers, [fixture.topic('rooted')], {
        until: (received) => received.length >= before.length,
        timeoutMs: 60_000,
      });
      await sql.query(
        `ALTER PUBLICATION ${fixture.config.publication} SET (publish_via_partition_root = false)`,
      );
      const { rows: marks } = await sql.query<{ lsn: string }>(
        'SELECT pg_current_wal_insert_lsn()::text AS lsn',
      );
      await insert(sql, rows('partitionrow', new Date(), 5));

      // Exit 2: a setup error, which no retry fixes.
      expect(await relay.exited).toBe(2);
      expect(relay.output()).toMatch(
        /sent a row of public\.outbox_\w+, which is not the outbox table public\.outbox/,
      );
      expect(relay.output()).toContain('publish_via_partition_root = true');
      const confirmed = await fixture.confirmedFlushLsn();
      expect(confirmed).not.toBeNull();
      expect((confirmed ?? 0n) <= parseLsn(marks[0]?.lsn ?? '0/0')).toBe(true);
    } finally {
      relay.kill('SIGKILL');
      await relay.exited;
      await sql.end();
      await fixture.dispose();
    }
  });
});
