import pg from 'pg';
import { type Lsn, parseLsn, ZERO_LSN } from '../../src/replication/lsn.js';
import type { NestedTransaction } from './nested-writer.js';

/** A row found deleted while the slot had not yet confirmed its transaction's commit. */
export interface EarlyDeletion {
  readonly id: string;
  readonly beforeCommit: string;
  readonly confirmed: string;
}

/**
 * Samples, every `intervalMs`, which rows of the given transactions are still in the outbox and
 * then (same statement, so later than the table's snapshot) the slot's confirmed_flush_lsn. A row
 * already gone while the slot is confirmed no further than a position read before its COMMIT was
 * deleted before the slot had confirmed its transaction: what retention must never do. Sound but
 * sampled: it sees an early deletion only while the slot has not yet passed that commit.
 */
export class EarlyDeletionWatch {
  readonly found: EarlyDeletion[] = [];
  private samples = 0;
  private running = true;
  private readonly loop: Promise<void>;
  /** Below this position a transaction can no longer be caught (the slot only moves forward). */
  private cleared: Lsn = ZERO_LSN;

  constructor(
    private readonly databaseUrl: string,
    private readonly slot: string,
    private readonly transactions: () => readonly NestedTransaction[],
    private readonly intervalMs = 200,
  ) {
    this.loop = this.run();
  }

  /** Stops sampling; resolves with the number of samples taken. */
  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    return this.samples;
  }

  private async run(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      while (this.running) {
        await this.sample(client);
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    } finally {
      await client.end();
    }
  }

  private async sample(client: pg.Client): Promise<void> {
    const watched = this.transactions().filter(
      (transaction) => parseLsn(transaction.beforeCommit) >= this.cleared,
    );
    const { rows } = await client.query<{ present: string[]; confirmed: string | null }>(
      `SELECT array(SELECT id::text FROM outbox WHERE id = ANY($1::uuid[])) AS present,
              (SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $2) AS confirmed`,
      [watched.flatMap((transaction) => transaction.events.map((event) => event.id)), this.slot],
    );
    const [row] = rows;
    if (!row?.confirmed) return;
    this.samples++;
    const confirmed = parseLsn(row.confirmed);
    const present = new Set(row.present);
    for (const transaction of watched) {
      if (parseLsn(transaction.beforeCommit) < confirmed) continue;
      for (const event of transaction.events) {
        if (!present.has(event.id) && !this.found.some((early) => early.id === event.id)) {
          this.found.push({ id: event.id, beforeCommit: transaction.beforeCommit, confirmed: row.confirmed });
        }
      }
    }
    this.cleared = confirmed;
  }
}
