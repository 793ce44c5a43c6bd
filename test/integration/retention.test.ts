import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { horizonParameter, insertedBefore } from '../../src/outbox/transaction-horizon.js';
import { parseLsn } from '../../src/replication/lsn.js';
import { ContinuousWriter } from '../support/continuous-writer.js';
import { allIdsSeen, checkDelivery } from '../support/delivery-check.js';
import { expectNoLoss } from '../support/fault-run.js';
import { consumeAll } from '../support/kafka.js';
import { OutboxWriter, type WrittenEvent } from '../support/outbox.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { startRelayProcess } from '../support/relay-process.js';
import {
  insertAged,
  JOB_NAME,
  openNestedTransaction,
  useRetentionRounds,
  walInsertPosition,
} from '../support/retention-rounds.js';
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
    await insert('before');
    const { rows: snapshot } = await sql.query<{ horizon: string }>(
      'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon',
    );
    await insert('after');
    const { rows } = await sql.query<{ marker: string; covered: boolean }>(
      `SELECT aggregate_id AS marker, ${insertedBefore(1)} AS covered FROM outbox
        WHERE aggregate_type = 'marker' ORDER BY aggregate_id`,
      [horizonParameter(BigInt(snapshot[0]?.horizon ?? '0'))],
    );
    expect(rows).toEqual([
      { marker: 'after', covered: false },
      { marker: 'before', covered: true },
    ]);
  });

  it('compares a 32-bit xmin with a 64-bit horizon as PostgreSQL compares transaction ids, across epochs', async () => {
    const epoch = 1n << 32n;
    const cases: [horizon: bigint, xmin: bigint, covered: boolean][] = [
      [5n * epoch + 100n, 99n, true],
      [5n * epoch + 100n, 100n, false],
      [5n * epoch + 100n, 101n, false],
      // The previous epoch's last ids, just below a horizon past the wrap.
      [5n * epoch + 10n, epoch - 6n, true],
      [5n * epoch + 10n, 3n, true],
      // Ids of the next epoch, in the horizon's future.
      [5n * epoch + epoch - 100n, 50n, false],
      [5n * epoch + epoch - 100n, epoch - 101n, true],
      // FrozenTransactionId (rows frozen before PostgreSQL 9.4): older than every id.
      [5n * epoch + 100n, 2n, true],
    ];
    for (const [horizon, xmin, covered] of cases) {
      const { rows } = await sql.query<{ covered: boolean }>(
        `SELECT ${insertedBefore(1)} AS covered FROM (SELECT $2::text::xid AS xmin) AS row`,
        [horizonParameter(horizon), xmin.toString()],
      );
      expect({ horizon, xmin, covered: rows[0]?.covered }).toEqual({ horizon, xmin, covered });
    }
  });
});

const DAY_MS = 86_400_000;
describe('retention deletes a row only once its transaction had ended before a snapshot the slot has passed', () => {
  const rounds = useRetentionRounds('retentionrule', false);

  it('keeps rows inserted after a SAVEPOINT and in a PL/pgSQL EXCEPTION block by a transaction open across rounds', async () => {
    const job = await rounds.job();
    const open = new pg.Client({ connectionString: rounds.fixture.databaseUrl });
    await open.connect();
    try {
      // Ended before the transaction began: the round must delete it.
      await rounds.sql.query(insertAged('ended', 1));
      await openNestedTransaction(open, 'savepoint');
      // Another transaction ends meanwhile, as on any busy server: the snapshot's xmax passes the subtransactions.
      await rounds.commitElsewhere();
      await job.round();
      await rounds.commitElsewhere();
      const beforeCommit = await walInsertPosition(open);
      await open.query('COMMIT');
      await rounds.confirm(beforeCommit);
      await job.round();
      expect(await rounds.rows('ended')).toEqual([]);
      const written = await rounds.rows('savepoint');
      expect(written).toHaveLength(5);
      await rounds.expectPublishedThenDeleted(job, written);
    } finally {
      await open.end();
    }
  });

  it('keeps rows of a transaction that begins after the round took its snapshot', async () => {
    const job = await rounds.job({ retentionBatchRows: 2 });
    await rounds.sql.query(insertAged('ended', 2));
    await job.round();
    await rounds.commitElsewhere();
    await rounds.confirm(await walInsertPosition(rounds.sql));
    // The next round's first DELETE waits for a row lock; meanwhile a transaction begins, writes and commits.
    const locker = new pg.Client({ connectionString: rounds.fixture.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM outbox WHERE aggregate_type = 'ended' FOR UPDATE`);
      const round = job.round();
      await waitFor(
        async () =>
          (
            await rounds.sql.query(
              `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
              [JOB_NAME],
            )
          ).rows.length > 0,
        { message: 'the round waiting for the row lock' },
      );
      await rounds.sql.query(insertAged('late', 5));
      await locker.query('ROLLBACK');
      await round;
      expect(await rounds.rows('ended')).toEqual([]);
      const written = await rounds.rows('late');
      expect(written).toHaveLength(5);
      await rounds.expectPublishedThenDeleted(job, written);
    } finally {
      await locker.end();
    }
  });

  it('keeps rows committed with synchronous_commit = off until the slot has passed their commit', async () => {
    const job = await rounds.job();
    const asynchronous = new pg.Client({ connectionString: rounds.fixture.databaseUrl });
    await asynchronous.connect();
    const flushedTo = async (lsn: string) =>
      (
        await rounds.sql.query<{ done: boolean }>('SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS done', [
          lsn,
        ])
      ).rows[0]?.done === true;
    try {
      await asynchronous.query('SET synchronous_commit = off');
      await rounds.sql.query(insertAged('ended', 1));
      await job.round();
      // Until the write position a round could read (pg_current_wal_lsn) was behind the commit and the
      // slot then passed it: the WAL writer writes every wal_writer_delay (200 ms), so most attempts do.
      let rows = 0;
      for (let attempt = 0, writePositionPassed = false; !writePositionPassed && attempt < 10; attempt++) {
        await asynchronous.query("SELECT pg_logical_emit_message(true, 'retention-test', '')");
        const woken = await walInsertPosition(asynchronous);
        // The WAL writer has just flushed it and sleeps for wal_writer_delay: the next commit waits meanwhile.
        await waitFor(() => flushedTo(woken), { intervalMs: 5, message: 'the WAL writer to flush' });
        await asynchronous.query('BEGIN');
        await asynchronous.query(insertAged('asynchronous', 5));
        const beforeCommit = await walInsertPosition(asynchronous);
        await asynchronous.query('COMMIT');
        await job.round();
        const { rows: written } = await rounds.sql.query<{ lsn: string }>(
          'SELECT pg_current_wal_lsn()::text AS lsn',
        );
        await rounds.confirm(beforeCommit);
        writePositionPassed =
          ((await rounds.fixture.confirmedFlushLsn()) ?? 0n) >= parseLsn(written[0]?.lsn ?? '');
        await job.round();
        rows += 5;
        expect(await rounds.rows('asynchronous')).toHaveLength(rows);
      }
      expect(await rounds.rows('ended')).toEqual([]);
      await rounds.expectPublishedThenDeleted(job, await rounds.rows('asynchronous'));
    } finally {
      await asynchronous.end();
    }
  });
});

describe('retention keeps a partition past the retention while a row in it is not confirmed', () => {
  const rounds = useRetentionRounds('retentionpartition', true);

  it('keeps a partition whose rows a transaction open across rounds inserted after a SAVEPOINT', async () => {
    const job = await rounds.job({ retentionMs: DAY_MS });
    const from = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 3 * DAY_MS);
    const old = `outbox_p${from.toISOString().replace(/\D/g, '').slice(0, 8)}`;
    await rounds.sql.query(
      `CREATE TABLE public.${old} PARTITION OF public.outbox
         FOR VALUES FROM ('${from.toISOString()}') TO ('${new Date(from.getTime() + DAY_MS).toISOString()}')`,
    );
    const exists = async () =>
      (await rounds.sql.query('SELECT 1 FROM pg_class WHERE relname = $1', [old])).rows.length > 0;
    const open = new pg.Client({ connectionString: rounds.fixture.databaseUrl });
    await open.connect();
    try {
      // In the default partition, past the retention, ended before the transaction began: deleted by the round.
      await rounds.sql.query(insertAged('ended', 1, "now() - interval '2 days'"));
      await openNestedTransaction(open, 'expired', `'${new Date(from.getTime() + 3_600_000).toISOString()}'`);
      await rounds.commitElsewhere();
      await job.round();
      await rounds.commitElsewhere();
      const beforeCommit = await walInsertPosition(open);
      await open.query('COMMIT');
      await rounds.confirm(beforeCommit);
      await job.round();
      expect(await rounds.rows('ended')).toEqual([]);
      expect(await exists()).toBe(true);
      const written = await rounds.rows('expired');
      expect(written).toHaveLength(5);
      await rounds.expectPublishedThenDeleted(job, written);
      expect(await exists()).toBe(false);
    } finally {
      await open.end();
    }
  });
});
