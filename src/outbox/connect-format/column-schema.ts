import { SetupError } from '../../errors.js';
import type { RelationColumn } from '../../replication/pgoutput/messages.js';

/** The Kafka Connect schema Debezium's PostgreSQL connector gives a column (default settings). */
export interface ColumnSchema {
  readonly type: 'string' | 'int16' | 'int32' | 'int64' | 'boolean' | 'bytes';
  readonly name?: string;
  readonly version?: number;
  readonly optional: boolean;
}

/** PostgreSQL type OIDs (pg_type.oid, fixed for built-in types) and their Connect schemas. */
const COLUMN_TYPES: ReadonlyMap<number, Omit<ColumnSchema, 'optional'>> = new Map([
  [16, { type: 'boolean' }],
  [17, { type: 'bytes' }],
  [20, { type: 'int64' }],
  [21, { type: 'int16' }],
  [23, { type: 'int32' }],
  [25, { type: 'string' }],
  [114, { type: 'string', name: 'io.debezium.data.Json', version: 1 }],
  [1042, { type: 'string' }],
  [1043, { type: 'string' }],
  [2950, { type: 'string', name: 'io.debezium.data.Uuid', version: 1 }],
  [3802, { type: 'string', name: 'io.debezium.data.Json', version: 1 }],
] as const);

export const BYTEA_OID = 17;
const BOOL_OID = 16;

/** Connect's schema of a column, or a SetupError naming the column when its type is not one the JSON converters here support. */
export function columnSchema(column: RelationColumn, notNull: boolean, setting: string): ColumnSchema {
  const known = COLUMN_TYPES.get(column.typeOid);
  if (!known) {
    throw new SetupError(
      `column "${column.name}" has a type (oid ${column.typeOid}) that ${setting} cannot encode as Kafka Connect's ` +
        'JsonConverter would: use text, varchar, json, jsonb, uuid, smallint, integer, bigint, boolean or bytea, or the string encoding',
    );
  }
  return { ...known, optional: !notNull };
}

/** The schema as JsonConverter writes it in its envelope (its key order). */
export function schemaJson(schema: ColumnSchema): string {
  const name = schema.name === undefined ? '' : `,"name":"${schema.name}"`;
  const version = schema.version === undefined ? '' : `,"version":${schema.version}`;
  return `{"type":"${schema.type}","optional":${schema.optional}${name}${version}}`;
}

/** A column's text as Debezium's Java value prints: booleans are true/false, not PostgreSQL's t/f. */
export function javaText(typeOid: number, text: string): string {
  if (typeOid === BOOL_OID) return text === 't' ? 'true' : 'false';
  return text;
}

/** bytea's text output (`\x00ff10`, bytea_output=hex) as its bytes. */
export function byteaBytes(text: string): Buffer {
  return Buffer.from(text.slice(2), 'hex');
}
