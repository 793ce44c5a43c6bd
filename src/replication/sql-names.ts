import { quotedTable, quoteIdentifier } from '../client/identifiers.js';

/** `schema.table` (OUTBOX_TABLE, any spelling PostgreSQL reads) quoted for SQL text. */
export const quoteTable = quotedTable;

/** A name (slot, publication, schema) quoted for SQL text. */
export const quoteName = quoteIdentifier;
