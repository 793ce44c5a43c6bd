import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmedRow, snapshotParameters } from '../../src/outbox/retention.js';
import { ContinuousWriter } from '../support/continuous-writer.js';
import { allIdsSeen, checkDelivery } from '../support/delivery-check.js';
import { expectNoLoss } from '../support/fault-run.js';
import { consumeAll } from '../support/kafka.js';
import { OutboxWriter, type WrittenEvent } from '../support/outbox.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { startRelayProcess } from '../support/relay-process.js';
import { startKafka, stopKafka } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const RETENTION_S = 3;
const OUTAGE_MS = 10_000;

describe('retention (OUTBOX_RETENTION)', () => {
  let fixture: OutboxFixture;
  let sql: pg.Client;
  let outbox: OutboxWriter;

  beforeAll(async () => {
    fixture = await createOutboxFixture('retention', {
      OUTBOX_RETENTION: `${RETENTION_S}s`,
      OUTBOX_RETENTION_INTERVAL_MS: '300',
      OUTBOX_RETENTION_BATCH_ROWS: '200',
    });
    sql = new pg.Client({ connectionString: fixture.databaseUrl });
    await sql.connect();
    outbox = await OutboxWriter.connect(fixture.databaseUrl);
  });

  afterAll(async () => {
    await startKafka();
    await sql?.end();
    await outbox?.close();
    await fixture?.dispose();
  });

  const remaining = async (ids: readonly string[]) =>
    Number(
      (await sql.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE id = ANY($1::uuid[])', [ids]))
        .rows[0]?.n,
    );

  it('deletes confirmed rows past the retention, and no row the slot has not confirmed while Kafka is down longer than the retention', {
    timeout: 120_000,
  }, async () => {
    const relay = startRelayProcess(['run'], { ...fixture.env, OUTBOX_RETRY_MAX_MS: '2000' });
    const writer = new ContinuousWriter(fixture.databaseUrl, {
      aggregateType: 'retained',
      aggregates: 100,
      pauseMs: 10,
    });
    try {
      await waitFor(() => writer.written.length > 1_000, { timeoutMs: 30_000, message: 'the writer writes' });
      const early = writer.written.slice(0, 500).map((event) => event.id);
      await waitFor(async () => (await remaining(early)) === 0, {
        timeoutMs: 30_000,
        intervalMs: 200,
        message: `the first rows deleted once older than ${RETENTION_S} s and confirmed`,
      });

      // Idle first: the slot then confirms up to the server's current position, so the snapshots
      // noted now are passed at once, and the rows written next must still be told apart.
      const warm = await writer.stop();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await stopKafka();
      const stoppedAt = Date.now();
      const duringOutage: WrittenEvent[] = [];
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        duringOutage.push(
          ...(await outbox.transaction(20, {
            aggregateType: 'retained',
            offset: warm.length + duringOutage.length,
          })),
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // Not confirmed, and most of them older than the retention by now.
      const outageIds = duringOutage.map((event) => event.id);
      expect(await remaining(outageIds)).toBe(outageIds.length);

      await startKafka();
      const written = [...warm, ...duringOutage];
      const records = await consumeAll(fixture.kafkaBrokers, [fixture.topic('retained')], {
        until: allIdsSeen(written.map((event) => event.id)),
        timeoutMs: 90_000,
      });
      expect(expectNoLoss(checkDelivery(written, records))).toEqual([]);
      // Confirmed after the outage, they go too.
      await waitFor(async () => (await remaining(outageIds)) === 0, {
        timeoutMs: 30_000,
        intervalMs: 200,
        message: 'the outage rows deleted once confirmed',
      });
      relay.kill('SIGTERM');
      expect(await relay.exited).toBe(0);
    } finally {
      await writer.stop();
      relay.kill('SIGKILL');
    }
  });

  it('tells a row inserted before a snapshot from one inserted after it, by its xmin', async () => {
    const insert = (marker: string) =>
      sql.query(
        `INSERT INTO outbox (aggregate_type, aggregate_id, event_type, payload, created_at)
         VALUES ('marker', $1, 'Happened', '{}', now() - interval '1 day')`,
        [marker],
      );
    const snapshot = async () =>
      (await sql.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s')).rows[0]?.s ?? '';
    await insert('before');
    const passed = await snapshot();
    await insert('after');
    const { rows } = await sql.query<{ marker: string; confirmed: boolean }>(
      `SELECT aggregate_id AS marker, ${confirmedRow(1, 2, 3)} AS confirmed FROM outbox
        WHERE aggregate_type = 'marker' ORDER BY aggregate_id`,
      snapshotParameters(passed, await snapshot()),
    );
    expect(rows).toEqual([
      { marker: 'after', confirmed: false },
      { marker: 'before', confirmed: true },
    ]);
  });
});
