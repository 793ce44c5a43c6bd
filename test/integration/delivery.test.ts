import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { allIdsSeen, checkDelivery } from '../support/delivery-check.js';
import { consumeAll } from '../support/kafka.js';
import { TEST_SOURCE, type WrittenEvent } from '../support/outbox.js';
import { useOutboxFixture } from '../support/relay-harness.js';
import { transportUnavailable } from '../support/secure-transport.js';
import { waitFor } from '../support/wait-for.js';

// Also run by the secure projects (vitest.config.ts), which only the local stack can serve.
describe.skipIf(transportUnavailable())('delivery: outbox inserts reach Kafka exactly as committed', () => {
  const outbox = useOutboxFixture('delivery');

  it('delivers transactions of 1, 10 and 10,000 rows over 200 aggregates, in commit order per aggregate', async () => {
    const relay = await outbox.fixture.startRelay();
    const written: WrittenEvent[] = [];
    let offset = 0;
    for (const size of [1, 10, 10_000, 1, 10, 1, 10]) {
      written.push(...(await outbox.writer.transaction(size, { aggregates: 200, offset })));
      offset += size;
    }
    const records = await consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic('order')], {
      until: (received) => received.length >= written.length,
      timeoutMs: 60_000,
    });
    const report = checkDelivery(written, records);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
    expect(report.splitAggregates).toEqual([]);
    expect(report.delivered).toBe(10_033);

    const sample = records.find((record) => record.headers.id === written[0]?.id);
    expect(sample?.key).toBe(written[0]?.aggregateId);
    expect(sample?.headers.event_type).toBe('Happened');
    expect(JSON.parse(sample?.value?.toString() ?? '{}')).toMatchObject({ seq: 0 });
    await relay.stop();
  });

  it.runIf(TEST_SOURCE === 'messages')(
    'publishes nothing for a rolled-back transaction’s messages, nor for non-transactional ones',
    async () => {
      const relay = await outbox.fixture.startRelay();
      const topic = outbox.fixture.topic('rollback');
      const envelope = (eventType: string) =>
        JSON.stringify({
          v: 1,
          id: randomUUID(),
          aggregateType: 'rollback',
          aggregateId: 'r1',
          eventType,
          payload: {},
        });
      await outbox.writer.sql.query('BEGIN');
      await outbox.writer.sql.query("SELECT pg_logical_emit_message(true, 'outbox', $1)", [envelope('Lost')]);
      await outbox.writer.sql.query('ROLLBACK');
      await outbox.writer.sql.query("SELECT pg_logical_emit_message(false, 'outbox', $1)", [
        envelope('Untied'),
      ]);
      await outbox.writer.sql.query("SELECT pg_logical_emit_message(true, 'other', $1)", [
        envelope('Foreign'),
      ]);
      const marker = await outbox.writer.transaction(1, { aggregateType: 'rollback' });
      const records = await consumeAll(outbox.fixture.kafkaBrokers, [topic], {
        until: allIdsSeen(marker.map((event) => event.id)),
        timeoutMs: 30_000,
      });
      expect(records.map((record) => record.headers.event_type)).toEqual(['Happened']);
      await relay.stop();
    },
  );

  it.runIf(TEST_SOURCE === 'table')(
    'publishes nothing for rolled-back transactions, and still publishes rows deleted in their own transaction',
    async () => {
      const relay = await outbox.fixture.startRelay();
      const topic = outbox.fixture.topic('rollback');
      await outbox.writer.sql.query('BEGIN');
      await outbox.writer.sql.query(
        `INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload) VALUES ('rollback', 'r1', 'Lost', '{}')`,
      );
      await outbox.writer.sql.query('ROLLBACK');
      await outbox.writer.sql.query('BEGIN');
      const { rows } = await outbox.writer.sql.query<{ id: string }>(
        `INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload) VALUES ('rollback', 'r1', 'Kept', '{"k": 1}') RETURNING id`,
      );
      await outbox.writer.sql.query('DELETE FROM outbox WHERE id = $1', [rows[0]?.id]);
      await outbox.writer.sql.query('COMMIT');
      // A marker after both, so that "nothing more arrived" is observed, not assumed.
      const marker = await outbox.writer.transaction(1, { aggregateType: 'rollback' });

      const records = await consumeAll(outbox.fixture.kafkaBrokers, [topic], {
        until: (received) => received.some((record) => record.headers.id === marker[0]?.id),
        timeoutMs: 30_000,
      });
      expect(records.map((record) => record.headers.event_type)).toEqual(['Kept', 'Happened']);
      expect(records[0]?.headers.id).toBe(rows[0]?.id);
      await relay.stop();
    },
  );

  it('resumes after a stop: events written while it was down are delivered, none lost', async () => {
    let relay = await outbox.fixture.startRelay();
    const before = await outbox.writer.transaction(100, { aggregateType: 'restart', aggregates: 7 });
    await waitFor(
      async () =>
        (await outbox.fixture.confirmedFlushLsn()) === relay.confirmed && relay.inflightEvents === 0,
      {
        timeoutMs: 20_000,
        message: 'relay confirmed the first batch',
      },
    );
    await relay.stop();
    const whileDown = await outbox.writer.transaction(250, {
      aggregateType: 'restart',
      aggregates: 7,
      offset: 100,
    });
    relay = await outbox.fixture.startRelay();
    const after = await outbox.writer.transaction(50, {
      aggregateType: 'restart',
      aggregates: 7,
      offset: 350,
    });
    const written = [...before, ...whileDown, ...after];
    const records = await consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic('restart')], {
      until: allIdsSeen(written.map((event) => event.id)),
      timeoutMs: 30_000,
    });
    const report = checkDelivery(written, records);
    expect(report.missing).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
    await relay.stop();
  });
});
