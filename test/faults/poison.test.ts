import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLoss, FaultRun } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { consumeAll } from '../support/kafka.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { waitFor } from '../support/wait-for.js';

describe('fault: poison events in the middle of a stream', () => {
  let fixture: OutboxFixture;
  let dlqTopic: string;

  beforeAll(async () => {
    fixture = await createOutboxFixture('poison');
    dlqTopic = fixture.topic('dlq');
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  it('sends them to the dead-letter topic with their headers, and delivers every later event in order', async () => {
    const relay = await fixture.startRelay({ OUTBOX_DLQ_TOPIC: dlqTopic, OUTBOX_MAX_RECORD_BYTES: '4000' });
    let deadLettered = 0;
    relay.on('event:dead-lettered', () => deadLettered++);
    const run = new FaultRun(fixture);
    await waitFor(() => run.writer.written.length > 2_000, {
      timeoutMs: 30_000,
      message: 'writer progressed',
    });
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: fixture.databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ id: string; lsn: string }>(
      `INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload) VALUES
         ('fault', 'agg-1', 'TooLarge', jsonb_build_object('pad', repeat('x', 10000))),
         ('not a topic', 'agg-2', 'BadTopic', '{}')
       RETURNING id, pg_current_wal_lsn()::text AS lsn`,
    );
    await client.end();
    await waitFor(() => run.writer.written.length > 4_000, { timeoutMs: 30_000, message: 'writer went on' });
    const { report } = await run.finish();

    const dead = await consumeAll(fixture.kafkaBrokers, [dlqTopic], {
      until: (r) => r.length >= 2,
      timeoutMs: 30_000,
    });
    expect(dead.map((record) => record.headers['outbox.error.reason']).sort()).toEqual([
      'invalid-topic',
      'too-large',
    ]);
    const tooLarge = dead.find((record) => record.headers['outbox.error.reason'] === 'too-large');
    expect(tooLarge?.headers['outbox.original.topic']).toBe(fixture.topic('fault'));
    expect(tooLarge?.headers['outbox.lsn']).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(Number(tooLarge?.headers['outbox.xid'])).toBeGreaterThan(0);
    expect(tooLarge?.headers['outbox.truncated']).toBe('true');
    const raw = JSON.parse(tooLarge?.value?.toString() ?? '{}');
    expect(raw).toMatchObject({ id: rows[0]?.id, aggregate_id: 'agg-1', event_type: 'TooLarge' });
    expect(deadLettered).toBe(2);
    recordFault('poison events to DLQ', report, { deadLettered });
    expect(expectNoLoss(report)).toEqual([]);
    await relay.stop();
  });
});
