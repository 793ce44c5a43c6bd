import type { FieldEncoding, ValueEncoding } from '../../config/relay-config.js';
import { SetupError } from '../../errors.js';
import type { RelationColumn } from '../../replication/pgoutput/messages.js';
import type { TupleView } from '../../replication/pgoutput/tuple.js';
import {
  BYTEA_OID,
  byteaBytes,
  type ColumnSchema,
  columnSchema,
  javaText,
  schemaJson,
} from './column-schema.js';
import { expandPayload, inferredSchemaJson } from './expand.js';
import { jacksonString } from './jackson.js';

/** A key or header: the column's value as text in the chosen encoding; null for SQL NULL in `string` (a null header). */
export type TextEncoder = (row: TupleView, at: number) => string | null;
/** The record value; null is a Kafka null (a tombstone on compacted topics). */
export type ValueEncoder = (row: TupleView, at: number) => Buffer | null;

/**
 * Keys and headers as Kafka Connect's converters write a column (Debezium's schema for it):
 * `string` (StringConverter, SimpleHeaderConverter, Debezium Server's simplestring): its text,
 * SQL NULL as a null value; `json` (JsonConverter, schemas.enable=false): a JSON value, SQL NULL as
 * `null`; `json-envelope` (schemas.enable=true): `{"schema":{...},"payload":...}`.
 */
export function textEncoder(
  encoding: FieldEncoding,
  column: RelationColumn,
  notNull: boolean,
  setting: string,
): TextEncoder {
  if (encoding === 'string') {
    if (column.typeOid === BYTEA_OID) {
      throw new SetupError(
        `column "${column.name}" is bytea, which ${setting}=string cannot send as text; use json`,
      );
    }
    const { typeOid } = column;
    return (row, at) => {
      const text = row.text(at);
      return text === null ? null : javaText(typeOid, text);
    };
  }
  const schema = columnSchema(column, notNull, setting);
  if (encoding === 'json') return (row, at) => jsonValue(schema, row.text(at));
  const envelope = `{"schema":${schemaJson(schema)},"payload":`;
  return (row, at) => `${envelope}${jsonValue(schema, row.text(at))}}`;
}

/** A column's value as JsonConverter writes it for its schema. */
function jsonValue(schema: ColumnSchema, text: string | null): string {
  if (text === null) return 'null';
  switch (schema.type) {
    case 'string':
      return jacksonString(text);
    case 'bytes':
      return jacksonString(byteaBytes(text).toString('base64'));
    case 'boolean':
      return text === 't' ? 'true' : 'false';
    default:
      return text;
  }
}

export interface ValueEncoderOptions {
  readonly encoding: Exclude<ValueEncoding, 'avro'> | 'json-text';
  readonly column: RelationColumn;
  readonly notNull: boolean;
  /** Debezium's route.tombstone.on.empty.payload: a NULL or blank payload becomes a Kafka null. */
  readonly tombstoneOnEmpty: boolean;
}

/**
 * The record value from the payload column, as Debezium's outbox router and a converter write it:
 * `json-text` (StringConverter, or ByteArrayConverter for bytea): the text as UTF-8, bytea as its
 * raw bytes, SQL NULL as a Kafka null; `json-string` / `json-envelope`: JsonConverter on the column
 * (the payload as a JSON string, SQL NULL as `null`); `json-expanded` / `json-expanded-envelope`:
 * `table.expand.json.payload=true`, the payload as a JSON document re-serialized by JsonConverter.
 */
export function valueEncoder(options: ValueEncoderOptions, rootName: string): ValueEncoder {
  const encode = baseValueEncoder(options, rootName);
  if (!options.tombstoneOnEmpty) return encode;
  return (row, at) => {
    const text = row.text(at);
    return text === null || text.trim() === '' ? null : encode(row, at);
  };
}

function baseValueEncoder(
  { encoding, column, notNull }: ValueEncoderOptions,
  rootName: string,
): ValueEncoder {
  if (encoding === 'json-text') {
    if (column.typeOid !== BYTEA_OID) return (row, at) => row.copy(at);
    return (row, at) => {
      const text = row.text(at);
      return text === null ? null : byteaBytes(text);
    };
  }
  const setting = `OUTBOX_VALUE_ENCODING=${encoding}`;
  const schema = columnSchema(column, notNull, setting);
  const envelope = encoding.endsWith('-envelope');
  const columnEnvelope = `{"schema":${schemaJson(schema)},"payload":`;
  const plain = (text: string | null) =>
    Buffer.from(envelope ? `${columnEnvelope}${jsonValue(schema, text)}}` : jsonValue(schema, text));
  // Debezium expands only string payloads; it sends others (bytea) as JsonConverter does.
  if (encoding === 'json-string' || encoding === 'json-envelope' || schema.type !== 'string') {
    return (row, at) => plain(row.text(at));
  }
  return (row, at) => {
    const text = row.text(at);
    if (text === null) return plain(null);
    const expansion = expandPayload(text, rootName);
    switch (expansion.kind) {
      case 'kept':
        return plain(text);
      case 'schemaless':
        return Buffer.from(
          envelope ? `{"schema":null,"payload":${jacksonString(text)}}` : jacksonString(text),
        );
      default:
        return Buffer.from(
          envelope
            ? `{"schema":${inferredSchemaJson(expansion.schema)},"payload":${expansion.valueJson}}`
            : expansion.valueJson,
        );
    }
  };
}
