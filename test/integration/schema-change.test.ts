import { describe, expect, it } from 'vitest';
import { SetupError } from '../../src/errors.js';
import { parseLsn } from '../../src/replication/lsn.js';
import { consumeAll } from '../support/kafka.js';
import { useOutboxFixture } from '../support/relay-harness.js';
import { waitFor } from '../support/wait-for.js';

describe('schema changes of the outbox table mid-stream', () => {
  const outbox = useOutboxFixture('schema');

  it('follows an added column, then stops without confirming when a required column is dropped', async () => {
    const relay = await outbox.fixture.startRelay();
    const first = await outbox.writer.transaction(5, { aggregateType: 'schema' });
    await outbox.writer.sql.query('ALTER TABLE outbox ADD COLUMN tenant text');
    await outbox.writer.sql.query('ALTER TABLE outbox DROP COLUMN headers');
    // The relay does not need `headers`... but the default layout does: re-add it as the last column.
    await outbox.writer.sql.query('ALTER TABLE outbox ADD COLUMN headers jsonb');
    await outbox.writer.sql.query(
      `INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, tenant, headers)
       VALUES ('schema', 'order-0', 'AfterAlter', '{}', 'acme', '{"h": "v"}')`,
    );
    const records = await consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic('schema')], {
      until: (received) => received.length >= 6,
      timeoutMs: 30_000,
    });
    // Records of different aggregates sit on different partitions: compare as sets.
    expect(new Set(records.map((r) => r.headers.id))).toEqual(
      new Set([
        ...first.map((e) => e.id),
        records.find((r) => r.headers.event_type === 'AfterAlter')?.headers.id,
      ]),
    );
    expect(records.find((r) => r.headers.event_type === 'AfterAlter')?.headers).toMatchObject({ h: 'v' });
    await waitFor(() => relay.inflightEvents === 0, { timeoutMs: 10_000, message: 'all acknowledged' });
    await waitFor(async () => (await outbox.fixture.confirmedFlushLsn()) === relay.confirmed, {
      timeoutMs: 10_000,
      message: 'relay confirmed what it delivered',
    });
    await outbox.writer.sql.query('ALTER TABLE outbox DROP COLUMN aggregate_id');
    await outbox.writer.sql.query(
      `INSERT INTO outbox (aggregate_type, event_type, payload) VALUES ('schema', 'NoKeyColumn', '{}')`,
    );
    // At most the end of the insert's commit record: the relay must stay below it.
    const { rows } = await outbox.writer.sql.query<{ lsn: string }>(
      'SELECT pg_current_wal_lsn()::text AS lsn',
    );
    const afterInsert = parseLsn(rows[0]?.lsn ?? '0/0');
    await expect(relay.done).rejects.toThrow(SetupError);
    await expect(relay.done).rejects.toThrow(/no column "aggregate_id"/);
    expect(relay.state).toBe('failed');
    expect((await outbox.fixture.confirmedFlushLsn()) ?? 0n).toBeLessThan(afterInsert);
  });
});
