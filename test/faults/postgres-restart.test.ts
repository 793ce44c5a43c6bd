import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLoss, FaultRun } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { logEntry, startRelayProcess, streamingSessions } from '../support/relay-process.js';
import { restartPostgres, startKafka, stopKafka } from '../support/services.js';
import { waitUntilConfirmed, walEnd } from '../support/slot-progress.js';
import { waitFor } from '../support/wait-for.js';

describe('fault: PostgreSQL restarted (fast) and crashed (immediate) mid-stream', () => {
  let fixture: OutboxFixture;

  beforeAll(async () => {
    fixture = await createOutboxFixture('pgrestart');
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  it('reconnects with backoff and resumes from the slot, losing nothing', async () => {
    const relay = startRelayProcess(['run'], {
      ...fixture.env,
      OUTBOX_LOG_LEVEL: 'info',
      OUTBOX_RETRY_MAX_MS: '2000',
    });
    const run = new FaultRun(fixture);
    for (const mode of ['fast', 'immediate'] as const) {
      const target = run.writer.written.length + 3_000;
      await waitFor(() => run.writer.written.length > target, {
        timeoutMs: 60_000,
        message: 'writer progressed',
      });
      const streamedBefore = streamingSessions(relay);
      await restartPostgres(mode);
      await waitFor(() => streamingSessions(relay) > streamedBefore, {
        timeoutMs: 60_000,
        message: `relay streams again after the ${mode} restart`,
      });
    }
    await waitFor(() => run.writer.written.length > 0, { timeoutMs: 1_000 });
    const { report } = await run.finish();
    relay.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    recordFault('postgres restart fast + immediate', report);
    expect(expectNoLoss(report)).toEqual([]);
  });

  it('after a Kafka outage and a PostgreSQL crash, leaves out what Kafka had once the stream proves the history the same', {
    timeout: 300_000,
  }, async () => {
    const relay = startRelayProcess(['run'], {
      ...fixture.env,
      OUTBOX_LOG_LEVEL: 'info',
      OUTBOX_RETRY_MAX_MS: '2000',
    });
    // Its own aggregate type: the test before it left its events on the default topic.
    const run = new FaultRun(fixture, 'aftercrash');
    const progressed = (events: number, message: string) => {
      const target = run.writer.written.length + events;
      return waitFor(() => run.writer.written.length > target, { timeoutMs: 60_000, message });
    };
    await progressed(3_000, 'writer progressed');
    await stopKafka();
    await progressed(3_000, 'writer progressed during the Kafka outage');
    const outageEnd = await walEnd(fixture.databaseUrl);
    await startKafka();
    // Caught up: everything committed during the outage is in Kafka and confirmed.
    await waitUntilConfirmed(fixture.databaseUrl, fixture.slot, outageEnd, 120_000);
    await progressed(3_000, 'writer progressed after the Kafka outage');
    const streamedBefore = streamingSessions(relay);
    // PostgreSQL 15 restarts the slot from the position its last checkpoint saved: far behind.
    await restartPostgres('immediate');
    await waitFor(() => streamingSessions(relay) > streamedBefore, {
      timeoutMs: 60_000,
      message: 'relay streams again after the crash',
    });
    await progressed(1_000, 'writer progressed after the crash');
    const { report } = await run.finish();
    relay.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    const skipped = Number(logEntry(relay.output(), 'past what Kafka has')?.skipped ?? 0);
    recordFault('kafka outage, then postgres crash', report, { skipped });
    expect(expectNoLoss(report)).toEqual([]);
    expect(relay.output()).not.toContain('does not have transactions whose events are in Kafka');
    expect(skipped).toBeGreaterThan(0);
  });
});
