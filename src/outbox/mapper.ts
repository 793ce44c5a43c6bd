import { PoisonEventError, SetupError } from '../errors.js';
import type { RelationColumn, RelationMessage } from '../replication/pgoutput/messages.js';
import type { TupleView } from '../replication/pgoutput/tuple.js';
import { textEncoder, valueEncoder } from './connect-format/encoders.js';
import { type OutboxLayout, requiredColumns } from './layout.js';
import { assertPublishableSize, type OutboxRecord } from './record.js';
import { timestampToUnixMs } from './timestamp.js';
import { isLegalTopic } from './topic-template.js';

/** Turns one inserted row (the relation's columns, as the server printed them) into a record. */
export type RowMapper = (row: TupleView, commitTimeMs: number) => OutboxRecord;

/** An event that cannot be published, and the topic it was for when the mapper got that far. */
export class Unpublishable {
  constructor(
    readonly error: PoisonEventError,
    readonly topic: string | undefined,
  ) {}
}

/**
 * The row's record, or why it cannot be published: the mapper refused it, or its record exceeds
 * OUTBOX_MAX_RECORD_BYTES. The stream, replay and dry runs all map rows through here.
 */
export function publishableRecord(
  mapRow: RowMapper,
  row: TupleView,
  commitTimeMs: number,
  maxRecordBytes: number,
): OutboxRecord | Unpublishable {
  let record: OutboxRecord | undefined;
  try {
    record = mapRow(row, commitTimeMs);
    assertPublishableSize(record, maxRecordBytes);
    return record;
  } catch (error) {
    if (error instanceof PoisonEventError) return new Unpublishable(error, record?.topic);
    throw error;
  }
}

/** Bytes of per-record framing in a Kafka record batch, roughly. */
const RECORD_OVERHEAD_BYTES = 32;
/** Topics seen, by the text of the template's columns; cleared past this many (a bounded set in practice). */
const TOPIC_CACHE_LIMIT = 10_000;

export function isOutboxRelation(layout: OutboxLayout, relation: RelationMessage): boolean {
  return relation.schema === layout.schema && relation.table === layout.table;
}

/**
 * Resolves the layout's columns by name against the latest Relation message, so that a
 * schema change mid-stream is followed. A missing column is fatal: nothing may be skipped.
 * The mapper runs once per event: it reads each column it needs once, renders each topic once
 * (then remembers it) and parses a timestamp only when it differs from the last row's
 * (created_at is usually the transaction's start, shared by all its rows).
 */
export function compileRowMapper(layout: OutboxLayout, relation: RelationMessage): RowMapper {
  const index = new Map(relation.columns.map((column, position) => [column.name, position]));
  const missing = requiredColumns(layout).filter((column) => !index.has(column));
  if (missing.length > 0) {
    throw new SetupError(
      `outbox table ${relation.schema}.${relation.table} has no column ${missing.map((c) => `"${c}"`).join(', ')}; ` +
        'restore the column or set the matching OUTBOX_COLUMN_* / OUTBOX_TOPIC_TEMPLATE. Nothing after this point was confirmed.',
    );
  }
  const position = (column: string) => index.get(column) as number;
  const optional = (column: string | undefined) => (column === undefined ? -1 : position(column));
  const idAt = position(layout.idColumn);
  const keyAt = position(layout.aggregateIdColumn);
  const payloadAt = position(layout.payloadColumn);
  const eventTypeAt = optional(layout.eventTypeColumn);
  const headersAt = optional(layout.headersColumn);
  const sendTime = layout.recordTimestamp === 'send';
  const timestampAt = sendTime ? -1 : optional(layout.timestampColumn);
  const encoders = columnEncoders(layout, relation);
  const plainKey = layout.keyEncoding === 'string';
  const encodeKey = encoders.key(keyAt);
  const plainHeaders = layout.headerEncoding === 'string';
  const headerColumns = [
    ...(layout.eventIdHeader ? [{ name: layout.eventIdHeader, at: idAt }] : []),
    ...(layout.eventTypeHeader && eventTypeAt >= 0
      ? [{ name: layout.eventTypeHeader, at: eventTypeAt }]
      : []),
    ...layout.placements.flatMap((placement) =>
      placement.kind === 'header' ? [{ name: placement.name, at: position(placement.column) }] : [],
    ),
  ].map((header) => ({
    ...header,
    nameBytes: Buffer.byteLength(header.name),
    encode: encoders.header(header.at),
  }));
  const partitionColumn = layout.partitionPlacement
    ? layout.placements.find((placement) => placement.kind === 'partition')?.column
    : undefined;
  const partitionAt = optional(partitionColumn);
  const encodeValue = encoders.value(payloadAt);
  const topicOf = topicRenderer(layout, position);
  let lastTimestampText: string | null = null;
  let lastTimestampMs = Number.NaN;

  return (row, commitTimeMs) => {
    const keyText = row.text(keyAt);
    if (keyText === null || keyText === '') {
      throw new PoisonEventError(
        `column "${layout.aggregateIdColumn}" (the record key) is null or empty`,
        'null-key',
      );
    }
    const key = plainKey ? keyText : (encodeKey(row, keyAt) as string);
    const topic = topicOf(row);
    const eventType = eventTypeAt < 0 ? null : row.text(eventTypeAt);
    // Plain header values are the columns' text: their byte lengths are the columns'.
    let headerBytes = 0;
    const headers: Record<string, string | null> = {};
    for (const header of headerColumns) {
      const text = header.encode(row, header.at);
      headers[header.name] = text;
      headerBytes +=
        header.nameBytes +
        (plainHeaders || text === null ? row.byteLength(header.at) : Buffer.byteLength(text));
    }
    if (headersAt >= 0 && !row.isNull(headersAt)) {
      headerBytes += addHeaderColumn(headers, row.text(headersAt) as string);
    }
    const partition =
      partitionAt < 0 ? undefined : parsePartition(row.text(partitionAt), partitionColumn as string);
    const value = encodeValue(row, payloadAt);
    let timestampMs = commitTimeMs;
    if (timestampAt >= 0 && !row.isNull(timestampAt)) {
      const text = row.text(timestampAt) as string;
      if (text !== lastTimestampText) {
        lastTimestampText = text;
        lastTimestampMs = timestampToUnixMs(text);
      }
      if (!Number.isNaN(lastTimestampMs)) timestampMs = lastTimestampMs;
    }
    return {
      topic,
      key,
      value,
      headers,
      eventType,
      timestampMs: sendTime ? undefined : Math.floor(timestampMs),
      partition,
      sizeBytes:
        RECORD_OVERHEAD_BYTES +
        (plainKey ? row.byteLength(keyAt) : Buffer.byteLength(key)) +
        (value?.length ?? 0) +
        headerBytes,
    };
  };
}

/** The encoders of the layout's encodings for the relation's columns, which check the columns' types once. */
function columnEncoders(layout: OutboxLayout, relation: RelationMessage) {
  const column = (at: number) => relation.columns[at] as RelationColumn;
  const notNull = (at: number) => layout.notNullColumns.has(column(at).name);
  return {
    key: (at: number) => textEncoder(layout.keyEncoding, column(at), notNull(at), 'OUTBOX_KEY_ENCODING'),
    header: (at: number) =>
      textEncoder(layout.headerEncoding, column(at), notNull(at), 'OUTBOX_HEADER_ENCODING'),
    value: (at: number) =>
      valueEncoder(
        {
          // The Avro stage reads the payload's JSON text.
          encoding: layout.valueEncoding === 'avro' ? 'json-text' : layout.valueEncoding,
          column: column(at),
          notNull: notNull(at),
          tombstoneOnEmpty: layout.tombstoneOnEmptyPayload,
        },
        layout.payloadColumn,
      ),
  };
}

/** Separates column values in the topic cache's keys: no text value can hold a NUL character. */
const SEPARATOR = '\u0000';

/** Renders a row's topic from the template, once per distinct text of the template's columns. */
function topicRenderer(
  layout: OutboxLayout,
  position: (column: string) => number,
): (row: TupleView) => string {
  const template = layout.topic;
  const columnsAt = template.columns.map(position);
  const single = columnsAt.length === 1 ? (columnsAt[0] as number) : -1;
  const known = new Map<string, string>();
  return (row) => {
    // NULL renders as nothing, like '': one key for both.
    const cacheKey =
      single >= 0 ? (row.text(single) ?? '') : columnsAt.map((at) => row.text(at) ?? '').join(SEPARATOR);
    const cached = known.get(cacheKey);
    if (cached !== undefined) return cached;
    const topic = template.render(columnsAt.map((at) => row.text(at)));
    if (!isLegalTopic(topic)) {
      throw new PoisonEventError(
        `topic "${topic}" from the template is not a legal Kafka topic name`,
        'invalid-topic',
      );
    }
    if (known.size >= TOPIC_CACHE_LIMIT) known.clear();
    known.set(cacheKey, topic);
    return topic;
  };
}

/** Adds the headers column's keys to `headers`; returns their size in bytes. */
function addHeaderColumn(headers: Record<string, string | null>, text: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PoisonEventError('the headers column is not valid JSON', 'invalid-headers');
  }
  if (parsed === null) return 0;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PoisonEventError('the headers column is not a JSON object', 'invalid-headers');
  }
  let bytes = 0;
  for (const [name, value] of Object.entries(parsed)) {
    if (value === null) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    headers[name] = text;
    bytes += Buffer.byteLength(name) + Buffer.byteLength(text);
  }
  return bytes;
}

function parsePartition(text: string | null, column: string): number {
  const partition = Number(text);
  if (text === null || !Number.isInteger(partition) || partition < 0) {
    throw new PoisonEventError(
      `partition column "${column}" holds "${text}", not a partition number`,
      'invalid-partition',
    );
  }
  return partition;
}
