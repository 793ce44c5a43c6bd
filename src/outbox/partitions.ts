import type pg from 'pg';
import { parseQualifiedName, quoteIdentifier } from '../sql-quote.js';

/** Partitions kept ready beyond the current one: inserts never wait for the relay. */
const PERIODS_AHEAD = 3;

/** SQLSTATEs of a partition that cannot be created as asked: it overlaps one, or the default holds its rows. */
const CANNOT_CREATE = new Set(['42P17', '23514']);

export async function isPartitioned(client: pg.ClientBase, table: string): Promise<boolean> {
  const { schema, name } = parseQualifiedName(table);
  const { rows } = await client.query<{ partitioned: boolean }>(
    `SELECT c.relkind = 'p' AS partitioned FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, name],
  );
  return rows[0]?.partitioned ?? false;
}

/** The start of the period that holds `atMs`: periods are aligned to the Unix epoch, so a day starts at midnight UTC. */
export function periodStart(atMs: number, periodMs: number): number {
  return Math.floor(atMs / periodMs) * periodMs;
}

/** `outbox_p20261126`, or `outbox_p202611261300` for periods shorter than a day. */
export function partitionName(table: string, fromMs: number, periodMs: number): string {
  const digits = new Date(fromMs).toISOString().replace(/\D/g, '');
  return `${parseQualifiedName(table).name}_p${digits.slice(0, periodMs % 86_400_000 === 0 ? 8 : 12)}`;
}

/**
 * The partitions of a table partitioned by its timestamp column (init --create-table --partitioned):
 * a default one, one per period up to PERIODS_AHEAD ahead, and dropping those wholly past a cutoff.
 */
export class OutboxPartitions {
  private readonly schema: string;
  private readonly parent: string;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly table: string,
    private readonly periodMs: number,
    private readonly onSkipped: (partition: string, reason: string) => void,
  ) {
    const { schema, name } = parseQualifiedName(table);
    this.schema = schema;
    this.parent = `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
  }

  /** The default partition and the current period's and those ahead: each created when missing. */
  async ensure(nowMs: number): Promise<void> {
    const defaultName = `${parseQualifiedName(this.table).name}_default`;
    await this.client.query(
      `CREATE TABLE IF NOT EXISTS ${this.qualified(defaultName)} PARTITION OF ${this.parent} DEFAULT`,
    );
    const first = periodStart(nowMs, this.periodMs);
    for (let period = 0; period <= PERIODS_AHEAD; period++) {
      const from = first + period * this.periodMs;
      const name = partitionName(this.table, from, this.periodMs);
      const bounds = `FROM ('${new Date(from).toISOString()}') TO ('${new Date(from + this.periodMs).toISOString()}')`;
      try {
        await this.client.query(
          `CREATE TABLE IF NOT EXISTS ${this.qualified(name)} PARTITION OF ${this.parent} FOR VALUES ${bounds}`,
        );
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        if (!CANNOT_CREATE.has(code)) throw error;
        this.onSkipped(name, (error as Error).message);
      }
    }
  }

  /**
   * Drops each range partition that ends at or before `cutoff`, unless `keep` (asked with the
   * partition locked, so a transaction still writing to it has been waited for) finds a row
   * whose events the slot has not confirmed.
   */
  async dropExpired(cutoff: Date, keep: (partition: string) => Promise<boolean>): Promise<string[]> {
    const { rows } = await this.client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
          AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz <= $2
        ORDER BY 1`,
      [this.parent, cutoff.toISOString()],
    );
    const dropped: string[] = [];
    for (const { name } of rows) {
      const partition = this.qualified(name);
      await this.client.query('BEGIN');
      try {
        await this.client.query(`LOCK TABLE ${partition} IN ACCESS EXCLUSIVE MODE`);
        if (!(await keep(partition))) {
          await this.client.query(`DROP TABLE ${partition}`);
          dropped.push(name);
        }
        await this.client.query('COMMIT');
      } catch (error) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    return dropped;
  }

  private qualified(name: string): string {
    return `${quoteIdentifier(this.schema)}.${quoteIdentifier(name)}`;
  }
}
