import type pg from 'pg';
import type { RelayConfig } from '../config/relay-config.js';
import { sleep } from '../lifecycle/backoff.js';
import { type Lsn, parseLsn } from '../replication/lsn.js';
import { quotedTable, quoteIdentifier } from '../sql-quote.js';
import type { OutboxPartitions } from './partitions.js';
import { horizonParameter, horizonUsable, insertedBefore } from './transaction-horizon.js';

/** What a retention round reports to the relay that runs it. */
export interface RetentionHooks {
  deleted(rows: number): void;
  /** A partition past the retention, every row of it confirmed, dropped (partitioned outbox). */
  droppedPartition(name: string): void;
  observed(tableBytes: number, oldestRowAgeSeconds: number): void;
  failed(error: unknown): void;
}

/** A snapshot's horizon (its xmin: every transaction id below it had ended) and the WAL insert position read after it. */
interface SnapshotMark {
  readonly horizon: bigint;
  readonly lsn: Lsn;
}

/** Between two DELETE statements of a round: vacuum and the application's writes get their turn. */
const PAUSE_BETWEEN_BATCHES_MS = 100;
/** Snapshots noted while the slot confirms nothing (a relay stuck for days): the oldest go first. */
const MAX_MARKS = 1_000;

/**
 * OUTBOX_RETENTION: deletes rows older than the retention, in batches, and never a row whose
 * transaction the slot has not confirmed. A row's age says nothing about that (a transaction may
 * commit long after its rows were stamped, and Kafka may be down for longer than the retention).
 * The rule: a row is deleted only when its inserting transaction had ended before a snapshot whose
 * WAL position the slot has confirmed. Each round notes its snapshot's horizon (pg_snapshot_xmin:
 * every transaction id below it had ended; transaction-horizon.ts says why subtransactions too)
 * and then the WAL insert position (pg_current_wal_insert_lsn, read after the snapshot in the same
 * statement). A transaction leaves the running set only after its commit record is inserted, so
 * every one below the horizon committed before that position, even with synchronous_commit = off
 * (pg_current_wal_lsn, the write position, can be behind such a commit). Once the slot's
 * confirmed_flush_lsn has passed the position, all of them are in Kafka, and a round deletes rows
 * whose xmin precedes the horizon of the newest mark the slot has passed. A transaction that began
 * after the snapshot, or was still running, is at or above the horizon: its rows wait for a later
 * mark. A transaction left open (idle in transaction, a forgotten prepared transaction, on any
 * database of the server) holds the horizon back, as it holds back VACUUM. Deletes are not
 * published: the publication publishes inserts only.
 */
export class RetentionJob {
  private readonly marks: SnapshotMark[] = [];
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private readonly table: string;
  private readonly deleteStatement: string;
  private readonly statsStatement: string;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly config: RelayConfig,
    private readonly hooks: RetentionHooks,
    /** When the outbox is partitioned by its timestamp column: kept ahead, and dropped past the retention. */
    private readonly partitions: OutboxPartitions | undefined,
  ) {
    this.table = quotedTable(config.table);
    const id = quoteIdentifier(config.idColumn);
    const timestamp = quoteIdentifier(config.timestampColumn);
    this.deleteStatement = `DELETE FROM ${this.table} WHERE ${id} IN (
        SELECT ${id} FROM ${this.table}
         WHERE ${timestamp} < now() - make_interval(secs => $2)
           AND ${insertedBefore(1)}
         LIMIT $3)`;
    // A partitioned table has no storage of its own: its size is its partitions'.
    this.statsStatement = `SELECT (SELECT sum(pg_total_relation_size(relid))
                                     FROM pg_partition_tree($1::regclass)) AS bytes,
        COALESCE(extract(epoch FROM now() - min(${timestamp})), 0)::float8 AS age FROM ${this.table}`;
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.round();
      } catch (error) {
        if (!this.stopping.signal.aborted) this.hooks.failed(error);
      }
      await sleep(this.config.retentionIntervalMs, this.stopping.signal);
    }
  }

  /** Notes a snapshot, then deletes what the newest snapshot the slot has passed allows. */
  async round(): Promise<void> {
    // Both pg_current_snapshot() calls return the statement's snapshot, taken before the insert position is read.
    const { rows } = await this.client.query<{
      horizon: string;
      next: string;
      lsn: string;
      confirmed: string | null;
    }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon,
              pg_snapshot_xmax(pg_current_snapshot())::text AS next,
              pg_current_wal_insert_lsn()::text AS lsn,
              (SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1) AS confirmed`,
      [this.config.slot],
    );
    const [now] = rows;
    if (!now) return;
    const confirmed = now.confirmed === null ? undefined : parseLsn(now.confirmed);
    const passed = this.takePassed(confirmed);
    this.marks.push({ horizon: BigInt(now.horizon), lsn: parseLsn(now.lsn) });
    if (this.marks.length > MAX_MARKS) this.marks.shift();
    await this.partitions?.ensure(Date.now());
    // A mark passed only after a billion more transaction ids is not used: a newer one will pass.
    if (passed && this.config.retentionMs > 0 && horizonUsable(passed.horizon, BigInt(now.next))) {
      const horizon = horizonParameter(passed.horizon);
      if (this.partitions) await this.dropExpiredPartitions(horizon);
      await this.deleteInsertedBefore(horizon);
    }
    const stats = await this.client.query<{ bytes: string; age: number }>(this.statsStatement, [this.table]);
    const [row] = stats.rows;
    if (row) this.hooks.observed(Number(row.bytes), row.age);
  }

  /** The newest noted snapshot whose position the slot has confirmed; it and older ones are dropped. */
  private takePassed(confirmed: Lsn | undefined): SnapshotMark | undefined {
    let passed: SnapshotMark | undefined;
    while (confirmed !== undefined && this.marks[0] && this.marks[0].lsn <= confirmed) {
      passed = this.marks.shift();
    }
    return passed;
  }

  private async dropExpiredPartitions(horizon: string): Promise<void> {
    const partitions = this.partitions as OutboxPartitions;
    const cutoff = new Date(Date.now() - this.config.retentionMs);
    const dropped = await partitions.dropExpired(cutoff, async (partition) => {
      const { rows } = await this.client.query(
        `SELECT 1 FROM ${partition} WHERE NOT ${insertedBefore(1)} LIMIT 1`,
        [horizon],
      );
      return rows.length > 0;
    });
    for (const name of dropped) this.hooks.droppedPartition(name);
  }

  private async deleteInsertedBefore(horizon: string): Promise<void> {
    const seconds = this.config.retentionMs / 1000;
    for (;;) {
      const { rowCount } = await this.client.query(this.deleteStatement, [
        horizon,
        seconds,
        this.config.retentionBatchRows,
      ]);
      const deleted = rowCount ?? 0;
      if (deleted > 0) this.hooks.deleted(deleted);
      if (deleted < this.config.retentionBatchRows || this.stopping.signal.aborted) return;
      await sleep(PAUSE_BETWEEN_BATCHES_MS, this.stopping.signal);
    }
  }
}
