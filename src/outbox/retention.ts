import type pg from 'pg';
import { quotedTable, quoteIdentifier } from '../client/identifiers.js';
import type { RelayConfig } from '../config/relay-config.js';
import { sleep } from '../lifecycle/backoff.js';
import { type Lsn, parseLsn } from '../replication/lsn.js';
import type { OutboxPartitions } from './partitions.js';

/** What a retention round reports to the relay that runs it. */
export interface RetentionHooks {
  deleted(rows: number): void;
  /** A partition past the retention, every row of it confirmed, dropped (partitioned outbox). */
  droppedPartition(name: string): void;
  observed(tableBytes: number, oldestRowAgeSeconds: number): void;
  failed(error: unknown): void;
}

/** The server's snapshot and its WAL position, noted together. */
interface SnapshotMark {
  readonly snapshot: string;
  readonly lsn: Lsn;
}

/** Between two DELETE statements of a round: vacuum and the application's writes get their turn. */
const PAUSE_BETWEEN_BATCHES_MS = 100;
const EPOCH = 1n << 32n;
/** Snapshots noted while the slot confirms nothing (a relay stuck for days): the oldest go first. */
const MAX_MARKS = 1_000;

/**
 * OUTBOX_RETENTION: deletes rows older than the retention, in batches, and never a row whose
 * transaction the slot has not confirmed. A row's age says nothing about that (a transaction may
 * commit long after its rows were stamped, and Kafka may be down for longer than the retention),
 * so each round notes the server's current snapshot and WAL position together. Every transaction
 * visible in that snapshot committed before that position; once the slot's confirmed_flush_lsn
 * has passed the position, every one of them is in Kafka. A round deletes only rows whose
 * inserting transaction (xmin) is visible in the newest snapshot the slot has passed. Deletes
 * are not published: the publication publishes inserts only.
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
         WHERE ${timestamp} < now() - make_interval(secs => $4)
           AND ${confirmedRow(1, 2, 3)}
         LIMIT $5)`;
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
    const { rows } = await this.client.query<{ snapshot: string; lsn: string; confirmed: string | null }>(
      `SELECT pg_current_snapshot()::text AS snapshot, pg_current_wal_lsn()::text AS lsn,
              (SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1) AS confirmed`,
      [this.config.slot],
    );
    const [now] = rows;
    if (!now) return;
    const confirmed = now.confirmed === null ? undefined : parseLsn(now.confirmed);
    const passed = this.takePassed(confirmed);
    this.marks.push({ snapshot: now.snapshot, lsn: parseLsn(now.lsn) });
    if (this.marks.length > MAX_MARKS) this.marks.shift();
    await this.partitions?.ensure(Date.now());
    if (passed && this.config.retentionMs > 0) {
      const visibility = snapshotParameters(passed.snapshot, now.snapshot);
      if (this.partitions) await this.dropExpiredPartitions(visibility);
      await this.deleteVisibleIn(visibility);
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

  private async dropExpiredPartitions(visibility: readonly string[]): Promise<void> {
    const partitions = this.partitions as OutboxPartitions;
    const cutoff = new Date(Date.now() - this.config.retentionMs);
    const dropped = await partitions.dropExpired(cutoff, async (partition) => {
      const { rows } = await this.client.query(
        `SELECT 1 FROM ${partition} WHERE NOT ${confirmedRow(1, 2, 3)} LIMIT 1`,
        [...visibility],
      );
      return rows.length > 0;
    });
    for (const name of dropped) this.hooks.droppedPartition(name);
  }

  private async deleteVisibleIn(visibility: readonly string[]): Promise<void> {
    const seconds = this.config.retentionMs / 1000;
    for (;;) {
      const { rowCount } = await this.client.query(this.deleteStatement, [
        ...visibility,
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

/**
 * The parameters of confirmedRow: the snapshot the slot has passed, and the epoch and xmax of the
 * current one. xmin is 32 bits and pg_visible_in_snapshot wants the full transaction id; every
 * row's xmin is below the current xmax (not the passed snapshot's: rows come after it too).
 */
export function snapshotParameters(passed: string, current: string): string[] {
  const xmax = BigInt(current.split(':')[1] ?? '0');
  return [passed, ((xmax / EPOCH) * EPOCH).toString(), xmax.toString()];
}

/**
 * SQL true for a row inserted by a transaction visible in the snapshot $snapshot: its xmin taken
 * in the current epoch ($epoch), one less for an xmin at or above the current xmax ($xmax).
 */
export function confirmedRow(snapshot: number, epoch: number, xmax: number): string {
  const full = `$${epoch}::bigint + xmin::text::bigint`;
  return `pg_visible_in_snapshot((CASE WHEN ${full} >= $${xmax}::bigint THEN GREATEST(${full} - ${EPOCH}, 3) ELSE ${full} END)::text::xid8, $${snapshot}::pg_snapshot)`;
}
