import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pgOutbox } from '../../src/client/adapters/pg.js';
import type { OutboxEvent } from '../../src/client/event.js';
import { allIdsSeen } from '../support/delivery-check.js';
import { consumeAll } from '../support/kafka.js';
import { useOutboxFixture } from '../support/relay-harness.js';

/**
 * OUTBOX_SOURCE=both: rows of the outbox table and transactional WAL messages, in one stream.
 * (OUTBOX_SOURCE=messages alone runs the delivery, crash and relay-kill tests: vitest.config.ts.)
 */
describe('events as WAL messages beside table rows (OUTBOX_SOURCE=both)', () => {
  const outbox = useOutboxFixture('msgsource', { OUTBOX_SOURCE: 'both' });
  const rows = pgOutbox();
  const messages = pgOutbox({ via: 'message' });

  it('keeps commit order per aggregate across rows and messages in one transaction', async () => {
    const relay = await outbox.fixture.startRelay();
    const event = (n: number): OutboxEvent => ({
      id: randomUUID(),
      aggregateType: 'mixed',
      aggregateId: `m-${n % 2}`,
      eventType: n % 3 === 0 ? 'ByRow' : 'ByMessage',
      payload: { n },
      headers: { n: String(n) },
    });
    const written = Array.from({ length: 12 }, (_, n) => event(n));
    const client = outbox.writer.sql;
    await client.query('BEGIN');
    for (const item of written) await (item.eventType === 'ByRow' ? rows : messages).publish(client, item);
    await client.query('COMMIT');

    const records = await consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic('mixed')], {
      until: allIdsSeen(written.map((item) => item.id ?? '')),
      timeoutMs: 30_000,
    });
    for (const aggregate of ['m-0', 'm-1']) {
      const expected = written.filter((item) => item.aggregateId === aggregate).map((item) => item.id);
      const got = records.filter((record) => record.key === aggregate).map((record) => record.headers.id);
      expect(got).toEqual(expected);
    }
    const sample = records.find((record) => record.headers.n === '4');
    expect(sample?.headers.event_type).toBe('ByMessage');
    expect(JSON.parse(sample?.value?.toString() ?? 'null')).toEqual({ n: 4 });
    await relay.stop();
  });

  it('dead-letters a malformed envelope with its content and goes on', async () => {
    const dlqTopic = outbox.fixture.topic('dlq');
    const relay = await outbox.fixture.startRelay({ OUTBOX_DLQ_TOPIC: dlqTopic });
    const client = outbox.writer.sql;
    await client.query('BEGIN');
    await client.query("SELECT pg_logical_emit_message(true, 'outbox', $1)", ['{"v": 1, "id": "x"}']);
    await client.query('COMMIT');
    const after: OutboxEvent = {
      id: randomUUID(),
      aggregateType: 'after',
      aggregateId: 'a',
      eventType: 'Fine',
      payload: 1,
    };
    await client.query('BEGIN');
    await messages.publish(client, after);
    await client.query('COMMIT');

    const dead = await consumeAll(outbox.fixture.kafkaBrokers, [dlqTopic], {
      until: (received) => received.length >= 1,
      timeoutMs: 30_000,
    });
    expect(dead[0]?.headers['outbox.error.reason']).toBe('malformed-envelope');
    expect(dead[0]?.headers['outbox.error']).toMatch(/"aggregateType" is not a non-empty string/);
    expect(dead[0]?.value?.toString()).toContain('{\\"v\\": 1, \\"id\\": \\"x\\"}');
    const later = await consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic('after')], {
      until: allIdsSeen([after.id ?? '']),
      timeoutMs: 30_000,
    });
    expect(later.map((record) => record.headers.id)).toEqual([after.id]);
    await relay.stop();
  });
});
