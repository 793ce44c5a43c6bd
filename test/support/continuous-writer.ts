import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { resolvePrimary } from '../../src/replication/primary.js';
import { WRITE_EVENTS_SQL, type WrittenEvent } from './outbox.js';

/**
 * An application writing to the outbox without pause: transactions of 1 to 50 events over
 * many aggregates, reconnecting when PostgreSQL goes away. `written` holds every committed
 * event in commit order (one connection, serial commits); a commit whose answer was lost is
 * counted only if its rows are in the table afterwards.
 */
export class ContinuousWriter {
  readonly written: WrittenEvent[] = [];
  private running = true;
  private readonly loop: Promise<void>;
  private client: pg.Client | undefined;
  private transactions = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly options: {
      aggregateType: string;
      aggregates: number;
      pauseMs?: number;
      /** Of the aggregate ids (`agg-17`): another for a second writer whose aggregates must not mix with the first's. */
      aggregatePrefix?: string;
    },
  ) {
    this.loop = this.run();
  }

  get committedTransactions(): number {
    return this.transactions;
  }

  async stop(): Promise<WrittenEvent[]> {
    this.running = false;
    await this.loop;
    await this.client?.end().catch(() => undefined);
    return this.written;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const events = this.nextTransaction();
      try {
        const client = await this.connection();
        await client.query('BEGIN');
        await client.query(WRITE_EVENTS_SQL, [
          events.map((e) => e.id),
          this.options.aggregateType,
          events.map((e) => e.aggregateId),
          events.map((_, i) => JSON.stringify({ n: this.written.length + i })),
        ]);
        await client.query('COMMIT');
        this.committed(events);
      } catch {
        await this.client?.end().catch(() => undefined);
        this.client = undefined;
        if (await this.landedAnyway(events)) this.committed(events);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      if (this.options.pauseMs) await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
    }
  }

  private committed(events: WrittenEvent[]): void {
    this.written.push(...events);
    this.transactions++;
  }

  private nextTransaction(): WrittenEvent[] {
    const size = [1, 1, 2, 5, 10, 50][this.transactions % 6] as number;
    return Array.from({ length: size }, (_, index) => ({
      id: randomUUID(),
      aggregateType: this.options.aggregateType,
      aggregateId: `${this.options.aggregatePrefix ?? 'agg'}-${(this.written.length + index * 7) % this.options.aggregates}`,
    }));
  }

  /** After a lost connection: did the transaction commit? Retries until the server answers. */
  private async landedAnyway(events: WrittenEvent[]): Promise<boolean> {
    for (let attempt = 0; attempt < 300; attempt++) {
      try {
        const client = await this.connection();
        const { rows } = await client.query('SELECT 1 FROM outbox WHERE id = $1', [events[0]?.id]);
        return rows.length > 0;
      } catch {
        await this.client?.end().catch(() => undefined);
        this.client = undefined;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    throw new Error('PostgreSQL did not come back within a minute');
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    // Several hosts (libpq's form): the one that is the primary now, as an application would connect.
    const client = new pg.Client({ connectionString: await resolvePrimary(this.databaseUrl) });
    client.on('error', () => undefined);
    await client.connect();
    this.client = client;
    return client;
  }
}
