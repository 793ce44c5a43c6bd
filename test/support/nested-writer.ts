import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { WRITE_EVENTS_SQL, type WrittenEvent } from './outbox.js';

/** A committed transaction, with a WAL position read just before its COMMIT: its commit record lies after it. */
export interface NestedTransaction {
  readonly beganAt: number;
  readonly committedAt: number;
  readonly beforeCommit: string;
  readonly events: readonly WrittenEvent[];
}

/**
 * An application whose outbox rows come from subtransactions (ORM nested transactions, PL/pgSQL
 * EXCEPTION blocks) of transactions that stay open: in turn, one that writes after a SAVEPOINT and
 * in an EXCEPTION block and then stays open `holdMs`, and one that stays open `holdMs` before it
 * writes (its transaction id assigned late, its rows stamped at its start by now()). `written`
 * holds every committed event in commit order (one connection), `transactions` each transaction.
 */
export class NestedWriter {
  readonly written: WrittenEvent[] = [];
  readonly transactions: NestedTransaction[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly databaseUrl: string,
    private readonly options: { aggregateType: string; aggregatePrefix: string; holdMs: number },
  ) {
    this.loop = this.run();
  }

  /** Transactions that began before `atMs` and committed after it. */
  spanning(atMs: number): number {
    return this.transactions.filter((held) => held.beganAt < atMs && held.committedAt > atMs).length;
  }

  async stop(): Promise<WrittenEvent[]> {
    this.running = false;
    await this.loop;
    return this.written;
  }

  private async run(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      for (let n = 0; this.running; n++) {
        const savepointEvents = this.events(3);
        const blockEvents = this.events(2);
        const hold = () => new Promise((resolve) => setTimeout(resolve, this.options.holdMs));
        const beganAt = Date.now();
        await client.query('BEGIN');
        if (n % 2 === 1) await hold();
        await client.query('SAVEPOINT nested');
        await client.query(WRITE_EVENTS_SQL, [
          savepointEvents.map((event) => event.id),
          this.options.aggregateType,
          savepointEvents.map((event) => event.aggregateId),
          savepointEvents.map(() => '{}'),
        ]);
        await client.query('RELEASE SAVEPOINT nested');
        await client.query(`DO $$ BEGIN ${insertStatement(blockEvents)};
                            EXCEPTION WHEN unique_violation THEN NULL; END $$`);
        if (n % 2 === 0) await hold();
        const { rows } = await client.query<{ lsn: string }>(
          'SELECT pg_current_wal_insert_lsn()::text AS lsn',
        );
        await client.query('COMMIT');
        const events = [...savepointEvents, ...blockEvents];
        this.transactions.push({
          beganAt,
          committedAt: Date.now(),
          beforeCommit: rows[0]?.lsn ?? '',
          events,
        });
        this.written.push(...events);
      }
    } finally {
      await client.end();
    }
  }

  private events(count: number): WrittenEvent[] {
    return Array.from({ length: count }, (_, index) => ({
      id: randomUUID(),
      aggregateType: this.options.aggregateType,
      aggregateId: `${this.options.aggregatePrefix}-${(this.written.length + index) % 50}`,
    }));
  }
}

/** The events as one INSERT with literals (a DO block takes no parameters). */
function insertStatement(events: readonly WrittenEvent[]): string {
  const rows = events.map(
    (event) =>
      `(${pg.escapeLiteral(event.id)}::uuid, ${pg.escapeLiteral(event.aggregateType)}, ${pg.escapeLiteral(event.aggregateId)}, 'Happened', '{}')`,
  );
  return `INSERT INTO outbox (id, aggregate_type, aggregate_id, event_type, payload) VALUES ${rows.join(', ')}`;
}
