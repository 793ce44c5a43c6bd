import type pg from 'pg';
import type { RelationMessage } from '../replication/pgoutput/messages.js';
import type { TupleValue } from '../replication/pgoutput/tuple.js';
import { quotedTable, quoteIdentifier } from '../sql-quote.js';
import type { SqlCondition } from './selection.js';

/** One outbox row as replay reads it: its values printed as the replication stream prints them. */
export interface ReplayRow {
  readonly values: readonly TupleValue[];
  /** The order column's value: rows that share it are resent together when a replay resumes. */
  readonly position: string;
  /** The inserting transaction's id, for a dead-letter record. */
  readonly xid: number;
}

/** Values as the server printed them: the mapper parses what it needs, as it does for the stream. */
const SERVER_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * The selected rows in the order column's order (physical order within equal values), read in
 * chunks through a cursor in one read-only snapshot: a count and the rows agree, and rows committed
 * after the replay started are left to the stream.
 */
export class OutboxCursor {
  private constructor(
    private readonly client: pg.ClientBase,
    /** The outbox table as a Relation message would describe it: its published columns, in order. */
    readonly relation: RelationMessage,
    /** Rows the cursor will yield in all. */
    readonly total: number,
  ) {}

  /**
   * Opens a transaction on `client`, which it then owns: ending the client ends the cursor.
   * `resumeAfter`: rows whose order column is past this value only.
   */
  static async open(
    client: pg.ClientBase,
    table: string,
    selection: SqlCondition,
    orderBy: string,
    resumeAfter: string | undefined,
  ): Promise<OutboxCursor> {
    const relation = await publishedColumns(client, table);
    const order = quoteIdentifier(orderBy);
    const params = [...selection.params];
    let where = selection.sql;
    if (resumeAfter !== undefined) {
      params.push(resumeAfter);
      where = `(${where}) AND ${order} > $${params.length}`;
    }
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const from = `FROM ${quotedTable(table)} WHERE ${where}`;
      const counted = await client.query<{ count: string }>(`SELECT count(*) AS count ${from}`, params);
      const columns = relation.columns.map((column) => quoteIdentifier(column.name)).join(', ');
      await client.query(
        `DECLARE outbox_replay NO SCROLL CURSOR FOR
         SELECT ${columns}, ${order} AS "outbox_replay.position", xmin AS "outbox_replay.xid"
         ${from} ORDER BY ${order}, tableoid, ctid`,
        params,
      );
      return new OutboxCursor(client, relation, Number(counted.rows[0]?.count ?? 0));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** The next rows, at most `count`; none once every row was read. */
  async next(count: number): Promise<ReplayRow[]> {
    const { rows } = await this.client.query<string[]>({
      text: `FETCH FORWARD ${Math.floor(count)} FROM outbox_replay`,
      rowMode: 'array',
      types: SERVER_TEXT,
    });
    const width = this.relation.columns.length;
    return rows.map((row) => ({
      values: row.slice(0, width).map((value) => (value === null ? null : Buffer.from(value))),
      position: row[width] as string,
      xid: Number(row[width + 1]),
    }));
  }
}

/** The columns pgoutput sends for the table (generated columns are not published), with their types. */
async function publishedColumns(client: pg.ClientBase, table: string): Promise<RelationMessage> {
  const { rows } = await client.query<{
    oid: string;
    schema: string;
    table: string;
    name: string;
    type: number;
  }>(
    `SELECT c.oid::bigint AS oid, n.nspname AS schema, c.relname AS table, a.attname AS name, a.atttypid::int AS type
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.oid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [table],
  );
  const first = rows[0];
  if (!first) throw new Error(`the outbox table ${table} has no columns`);
  return {
    tag: 'relation',
    relationOid: Number(first.oid),
    schema: first.schema,
    table: first.table,
    columns: rows.map((row) => ({ name: row.name, typeOid: row.type, isKey: false })),
  };
}
