import type pg from 'pg';
import { quotedTable } from '../sql-quote.js';

/** What the inbox needs of node-postgres: a pool to take one client per event from. */
export interface InboxPool {
  connect(): Promise<pg.PoolClient>;
}

export interface InboxOptions {
  readonly pool: InboxPool;
  /** `schema.table` of the inbox; created by ensureTable(). */
  readonly table?: string;
  /** Which consumer's inbox: several consumers may share one table, each seeing every event once. */
  readonly consumer?: string;
  /** Called once per event skipped as already handled (a metric, a log line). */
  readonly onDuplicate?: (eventId: string) => void;
}

/** A header value as Kafka clients give it (kafkajs's IHeaders). */
type HeaderValue = Buffer | string | readonly (Buffer | string)[] | undefined;

/** What to deduplicate: an event id, or a record whose `id` header (the relay's) carries it. */
export type InboxEvent = string | { readonly headers?: Readonly<Record<string, HeaderValue>> };

/** The event id of an InboxEvent: the string itself, or the record's `id` header. */
export function eventIdOf(event: InboxEvent): string {
  if (typeof event === 'string') return event;
  const header = event.headers?.id;
  const value = Array.isArray(header) ? header[0] : header;
  return value?.toString() ?? '';
}

export type InboxOutcome<T> =
  | { readonly duplicate: true }
  | { readonly duplicate: false; readonly result: T };

/**
 * The consumer side of exactly-once effects: each event id is recorded in the inbox table in the
 * same transaction as the event's effects, so that a redelivered event (at-least-once delivery,
 * a consumer restarted before committing its offset) finds its id there and changes nothing.
 */
export class Inbox {
  private readonly table: string;
  private readonly consumer: string;
  private handledCount = 0;
  private duplicateCount = 0;

  constructor(private readonly options: InboxOptions) {
    this.table = quotedTable(options.table ?? 'public.outbox_inbox');
    this.consumer = options.consumer ?? 'default';
  }

  /** Events handled, and skipped as duplicates, by this instance. */
  get stats(): { readonly handled: number; readonly duplicates: number } {
    return { handled: this.handledCount, duplicates: this.duplicateCount };
  }

  async ensureTable(): Promise<void> {
    await this.withClient((client) =>
      client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
           consumer    text        NOT NULL,
           event_id    text        NOT NULL,
           received_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (consumer, event_id)
         )`,
      ),
    );
  }

  /**
   * Runs `effects` in a transaction that first records the event's id (given, or the record's `id`
   * header); if the id is already there, the
   * transaction is rolled back at once and `effects` never runs. A failure in `effects` rolls back
   * the id too, so the event is handled again when redelivered.
   */
  async handle<T>(
    event: InboxEvent,
    effects: (client: pg.PoolClient) => Promise<T>,
  ): Promise<InboxOutcome<T>> {
    const eventId = eventIdOf(event);
    if (eventId === '')
      throw new Error(
        "inbox: an event without an id cannot be deduplicated (a record needs the relay's id header)",
      );
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const { rowCount } = await client.query(
          `INSERT INTO ${this.table} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
          [this.consumer, eventId],
        );
        if (rowCount === 0) {
          await client.query('ROLLBACK');
          this.duplicateCount++;
          this.options.onDuplicate?.(eventId);
          return { duplicate: true } as const;
        }
        const result = await effects(client);
        await client.query('COMMIT');
        this.handledCount++;
        return { duplicate: false, result } as const;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** Deletes the ids recorded longer ago than `maxAgeMs`: a duplicate older than that is no longer caught. */
  async prune(maxAgeMs: number): Promise<number> {
    const { rowCount } = await this.withClient((client) =>
      client.query(
        `DELETE FROM ${this.table} WHERE consumer = $1 AND received_at < now() - make_interval(secs => $2)`,
        [this.consumer, maxAgeMs / 1000],
      ),
    );
    return rowCount ?? 0;
  }

  private async withClient<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.options.pool.connect();
    try {
      return await use(client);
    } finally {
      client.release();
    }
  }
}
