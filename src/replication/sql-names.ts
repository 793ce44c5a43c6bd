import { quotedTable, quoteIdentifier } from '../client/identifiers.js';

/** `schema.table` (OUTBOX_TABLE, any spelling PostgreSQL reads) quoted for SQL text. */
export const quoteTable = quotedTable;

/** A name (slot, publication, schema) quoted for SQL text. */
export const quoteName = quoteIdentifier;

/** A string quoted as an SQL literal, for the replication protocol's simple queries (no parameters there). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
