import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditSlot } from '../support/audit-slot.js';
import { allIdsSeen, checkDelivery } from '../support/delivery-check.js';
import { consumeAll } from '../support/kafka.js';
import { OutboxWriter, type WrittenEvent } from '../support/outbox.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { startRelayProcess } from '../support/relay-process.js';
import { waitFor } from '../support/wait-for.js';

describe('crash: kill -9 of the relay mid-stream', () => {
  let fixture: OutboxFixture;
  let writer: OutboxWriter;
  let admin: pg.Client;
  let audit: AuditSlot;

  beforeAll(async () => {
    fixture = await createOutboxFixture('crash');
    writer = await OutboxWriter.connect(fixture.databaseUrl);
    admin = new pg.Client({ connectionString: fixture.databaseUrl });
    await admin.connect();
    audit = await AuditSlot.create(admin, 'crash_audit');
  });

  afterAll(async () => {
    await audit?.drop();
    await admin?.end();
    await writer?.close();
    await fixture?.dispose();
  });

  it('loses nothing, keeps per-aggregate order, and never confirmed past an unacknowledged event', {
    timeout: 240_000,
  }, async () => {
    const topic = fixture.topic('order');
    // Small batches and bounds so that the kill lands while much is in flight.
    const env = { ...fixture.env, OUTBOX_BATCH_MAX_EVENTS: '500', OUTBOX_MAX_INFLIGHT_EVENTS: '2000' };
    const written: WrittenEvent[] = [];
    const commits: WrittenEvent[][] = [];
    for (let i = 0; i < 50; i++) {
      commits.push(
        await writer.transaction(1_000, { aggregates: 300, offset: written.length, payloadBytes: 200 }),
      );
      written.push(...(commits[i] as WrittenEvent[]));
    }
    const commitLsnBefore = await audit.commitLsnById();
    const tenthCommit = commitLsnBefore.get(commits[9]?.[0]?.id ?? '') ?? 0n;
    const lastCommit = commitLsnBefore.get(commits[49]?.[0]?.id ?? '') ?? 0n;

    // Killed once the slot has confirmed a fifth of the stream: mid-stream, with events in flight.
    const first = startRelayProcess(['run'], { ...env, OUTBOX_STATUS_INTERVAL_MS: '100' });
    await waitFor(async () => ((await fixture.confirmedFlushLsn()) ?? 0n) >= tenthCommit, {
      timeoutMs: 60_000,
      intervalMs: 20,
      message: 'the slot confirmed the first ten transactions',
    });
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    // Before restarting: every event of every transaction the slot has confirmed must be in Kafka.
    const confirmed = await fixture.confirmedFlushLsn();
    const commitLsn = await audit.commitLsnById();
    const inKafka = new Set(
      (await consumeAll(fixture.kafkaBrokers, [topic], { until: () => false, timeoutMs: 5_000 })).map(
        (record) => record.headers.id,
      ),
    );
    expect(confirmed).not.toBeNull();
    const confirmedButMissing = written.filter((event) => {
      const lsn = commitLsn.get(event.id);
      return lsn !== undefined && confirmed !== null && lsn <= confirmed && !inKafka.has(event.id);
    });
    expect(commitLsn.size).toBe(written.length);
    expect(confirmedButMissing).toEqual([]);
    expect(confirmed ?? 0n, 'killed before the stream was confirmed to its end').toBeLessThan(lastCommit);
    const unconfirmed = written.filter((event) => (commitLsn.get(event.id) ?? 0n) > (confirmed ?? 0n)).length;
    console.info(
      `crash test: killed with ${unconfirmed} of ${written.length} events unconfirmed, ${inKafka.size} in Kafka`,
    );

    const second = startRelayProcess(['run'], env);
    const records = await consumeAll(fixture.kafkaBrokers, [topic], {
      until: allIdsSeen(written.map((event) => event.id)),
      timeoutMs: 120_000,
    });
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const report = checkDelivery(written, records);
    expect(report.missing).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
    expect(report.splitAggregates).toEqual([]);
    console.info(`crash test: ${report.written} written, ${report.duplicates} duplicates after kill -9`);
  });
});
