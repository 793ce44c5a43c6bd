import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarlyDeletionWatch } from '../support/early-deletion-watch.js';
import { expectNoLoss, FaultRun } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { NestedWriter } from '../support/nested-writer.js';
import type { WrittenEvent } from '../support/outbox.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { startRelayProcess } from '../support/relay-process.js';
import { startKafka, stopKafka } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const RETENTION_S = 3;
/** Longer than the retention: rows of a transaction held open are past it when they commit. */
const HOLD_MS = 4_000;
const OUTAGE_MS = 20_000;

describe(`fault: retention of ${RETENTION_S} s, Kafka stopped for ${OUTAGE_MS / 1000} s`, () => {
  let fixture: OutboxFixture;
  let sql: pg.Client;

  beforeAll(async () => {
    fixture = await createOutboxFixture('retentionoutage', {
      OUTBOX_RETENTION: `${RETENTION_S}s`,
      OUTBOX_RETENTION_INTERVAL_MS: '300',
      OUTBOX_RETENTION_BATCH_ROWS: '500',
    });
    sql = new pg.Client({ connectionString: fixture.databaseUrl });
    await sql.connect();
  });

  afterAll(async () => {
    await startKafka();
    await sql?.end();
    await fixture?.dispose();
  });

  const inTable = async (events: readonly WrittenEvent[]) =>
    Number(
      (
        await sql.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE id = ANY($1::uuid[])', [
          events.map((event) => event.id),
        ])
      ).rows[0]?.n,
    );

  it('deletes no row before its events are in Kafka, SAVEPOINT rows and late transaction ids included, and every row once they are', {
    timeout: 240_000,
  }, async () => {
    const relay = startRelayProcess(['run'], { ...fixture.env, OUTBOX_RETRY_MAX_MS: '2000' });
    const nested = ['nested-a', 'nested-b'].map(
      (aggregatePrefix) =>
        new NestedWriter(fixture.databaseUrl, { aggregateType: 'fault', aggregatePrefix, holdMs: HOLD_MS }),
    );
    const run = new FaultRun(fixture, 'fault', nested);
    const writers = [run.writer, ...nested];
    // Through the warm-up, the outage and the catch-up after it, when the slot passes old marks.
    const watch = new EarlyDeletionWatch(fixture.databaseUrl, fixture.slot, () =>
      nested.flatMap((writer) => writer.transactions),
    );
    try {
      await waitFor(() => run.writer.written.length > 2_000 && nested.every((w) => w.written.length >= 10), {
        timeoutMs: 60_000,
        message: 'the writers warmed up',
      });
      const early = run.writer.written.slice(0, 500);
      await waitFor(async () => (await inTable(early)) === 0, {
        timeoutMs: 30_000,
        intervalMs: 300,
        message: `the first rows deleted once older than ${RETENTION_S} s and confirmed`,
      });

      await stopKafka();
      // Committed from here on, with the broker down: none of these can be in Kafka yet.
      const stoppedAt = Date.now();
      const writtenBefore = writers.map((writer) => writer.written.length);
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      const unpublished = writers.flatMap((writer, index) => writer.written.slice(writtenBefore[index]));
      const spanning = nested.reduce((sum, writer) => sum + writer.spanning(stoppedAt), 0);
      // Most of them older than the retention by now, and the transactions open across the stop too.
      expect(spanning).toBeGreaterThan(0);
      expect(await inTable(unpublished)).toBe(unpublished.length);
      await startKafka();

      // A few more rounds of every kind of transaction with the broker back.
      const resumed = nested.map((writer) => writer.written.length);
      await waitFor(
        () => nested.every((writer, index) => writer.written.length >= (resumed[index] ?? 0) + 10),
        {
          timeoutMs: 60_000,
          message: 'the nested writers committing again',
        },
      );
      const { written, report } = await run.finish();
      const samples = await watch.stop();
      recordFault(`retention ${RETENTION_S} s, kafka stopped ${OUTAGE_MS / 1000} s`, report, {
        heldThroughOutage: unpublished.length,
        spanningTransactions: spanning,
        nestedTransactions: nested.reduce((sum, writer) => sum + writer.transactions.length, 0),
        watchSamples: samples,
        deletedBeforeConfirmed: watch.found.length,
      });
      expect(expectNoLoss(report)).toEqual([]);
      expect(watch.found).toEqual([]);
      // Retention still works: once confirmed, every row goes (the last ones after the relay's idle confirmation).
      await waitFor(async () => (await inTable(written)) === 0, {
        timeoutMs: 90_000,
        intervalMs: 500,
        message: 'every row deleted once past the retention and confirmed',
      });
      relay.kill('SIGTERM');
      expect(await relay.exited).toBe(0);
    } finally {
      await Promise.all([...writers.map((writer) => writer.stop()), watch.stop()]);
      relay.kill('SIGKILL');
    }
  });
});
