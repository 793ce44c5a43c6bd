import type pg from 'pg';
import { parseQualifiedName, quoteIdentifier } from '../sql-quote.js';
import type { ReplaySelection } from './selection.js';

/** What a replay keeps between runs, under the key of its command line (selectionKey). */
export interface ReplayState {
  /** The selection as first resolved (relative times made absolute then): a resumption keeps it. */
  readonly selection: ReplaySelection;
  /** Every row up to this value of the order column is in Kafka; null before the first is. */
  readonly position: string | null;
  /** Events acknowledged so far, over every run. */
  readonly sent: number;
  readonly completedAt: Date | null;
}

/** The table replays keep their positions in, beside the outbox: `<schema>.outbox_relay_replays`. */
export function replayStateTable(outboxTable: string): string {
  return `${quoteIdentifier(parseQualifiedName(outboxTable).schema)}.outbox_relay_replays`;
}

/**
 * Replay positions in PostgreSQL, where the outbox is: a replay resumes from any machine or
 * container, and nothing but the database needs keeping. Written on a connection of its own (the
 * rows are read in a read-only snapshot). The table is made on first use; it is not published.
 */
export class ReplayStates {
  private readonly table: string;

  constructor(
    private readonly client: pg.ClientBase,
    outboxTable: string,
  ) {
    this.table = replayStateTable(outboxTable);
  }

  /** The replay's state, or undefined when it never ran (or the table does not exist yet). */
  async load(key: string): Promise<ReplayState | undefined> {
    const { rows } = await this.client.query<{ exists: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS exists',
      [this.table],
    );
    if (!rows[0]?.exists) return undefined;
    const found = await this.client.query<{
      selection: ReplaySelection;
      position: string | null;
      sent: string;
      completed_at: Date | null;
    }>(`SELECT selection, position, sent, completed_at FROM ${this.table} WHERE key = $1`, [key]);
    const row = found.rows[0];
    return (
      row && {
        selection: row.selection,
        position: row.position,
        sent: Number(row.sent),
        completedAt: row.completed_at,
      }
    );
  }

  /** Records a replay's start; a replay that exists keeps its position. */
  async begin(key: string, selection: ReplaySelection): Promise<void> {
    await this.client.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         key          text PRIMARY KEY,
         selection    jsonb NOT NULL,
         position     text,
         sent         bigint NOT NULL DEFAULT 0,
         started_at   timestamptz NOT NULL DEFAULT now(),
         updated_at   timestamptz NOT NULL DEFAULT now(),
         completed_at timestamptz
       )`,
    );
    await this.client.query(
      `INSERT INTO ${this.table} (key, selection) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
      [key, JSON.stringify(selection)],
    );
  }

  async save(key: string, position: string | null, sent: number): Promise<void> {
    await this.client.query(
      `UPDATE ${this.table} SET position = $2, sent = $3, updated_at = now() WHERE key = $1`,
      [key, position, sent],
    );
  }

  async complete(key: string, position: string | null, sent: number): Promise<void> {
    await this.client.query(
      `UPDATE ${this.table} SET position = $2, sent = $3, updated_at = now(), completed_at = now() WHERE key = $1`,
      [key, position, sent],
    );
  }

  /** Forgets the replay (--restart): the next run starts from the first row. */
  async forget(key: string): Promise<void> {
    if ((await this.load(key)) === undefined) return;
    await this.client.query(`DELETE FROM ${this.table} WHERE key = $1`, [key]);
  }
}
