import { randomUUID } from 'node:crypto';
import { context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { describe, expect, it } from 'vitest';
import { pgOutbox } from '../../src/client/adapters/pg.js';
import type { OutboxEvent } from '../../src/client/event.js';
import { traceContextOf } from '../../src/client/trace-consumer.js';
import { allIdsSeen } from '../support/delivery-check.js';
import { consumeAll } from '../support/kafka.js';
import { useOutboxFixture } from '../support/relay-harness.js';

/**
 * OUTBOX_SOURCE=both: rows of the outbox table and transactional WAL messages, in one stream.
 * (OUTBOX_SOURCE=messages alone runs the delivery, crash and relay-kill tests: vitest.config.ts.)
 */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

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
    for (const item of written)
      await rows.publish(client, item, { via: item.eventType === 'ByRow' ? 'table' : 'message' });
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

  it('carries the publishing span’s trace context to Kafka headers, from rows and from messages', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const relay = await outbox.fixture.startRelay();
      const span = trace.wrapSpanContext({
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        traceFlags: TraceFlags.SAMPLED,
      });
      const written = [rows, messages].map(() => ({
        id: randomUUID(),
        aggregateType: 'traced',
        aggregateId: 't-1',
        eventType: 'Traced',
        payload: {},
      }));
      const client = outbox.writer.sql;
      await context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
        await client.query('BEGIN');
        await rows.publish(client, written[0] as OutboxEvent);
        await messages.publish(client, written[1] as OutboxEvent);
        await client.query('COMMIT');
      });
      const records = await consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic('traced')], {
        until: allIdsSeen(written.map((item) => item.id)),
        timeoutMs: 30_000,
      });
      const parent = trace.getSpanContext(traceContextOf(records[1]?.headers, ROOT_CONTEXT));
      expect(records.map((record) => record.headers.traceparent)).toEqual([
        `00-${TRACE_ID}-${SPAN_ID}-01`,
        `00-${TRACE_ID}-${SPAN_ID}-01`,
      ]);
      expect(parent).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
      await relay.stop();
    } finally {
      context.disable();
    }
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
