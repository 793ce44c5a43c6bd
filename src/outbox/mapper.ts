import { PoisonEventError, SetupError } from '../errors.js';
import type { RelationMessage, TupleValue } from '../replication/pgoutput/messages.js';
import { type OutboxLayout, requiredColumns } from './layout.js';
import type { OutboxRecord } from './record.js';
import { timestamptzToUnixMs } from './timestamp.js';
import { isLegalTopic } from './topic-template.js';

/** Turns one inserted row (text values in the relation's column order) into a record. */
export type RowMapper = (values: readonly TupleValue[], commitTimeMs: number) => OutboxRecord;

/** Bytes of per-record framing in a Kafka record batch, roughly. */
const RECORD_OVERHEAD_BYTES = 32;

export function isOutboxRelation(layout: OutboxLayout, relation: RelationMessage): boolean {
  return relation.schema === layout.schema && relation.table === layout.table;
}

/**
 * Resolves the layout's columns by name against the latest Relation message, so that a
 * schema change mid-stream is followed. A missing column is fatal: nothing may be skipped.
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
  const idAt = position(layout.idColumn);
  const keyAt = position(layout.aggregateIdColumn);
  const payloadAt = position(layout.payloadColumn);
  const eventTypeAt = layout.eventTypeColumn === undefined ? undefined : position(layout.eventTypeColumn);
  const headersAt = layout.headersColumn === undefined ? undefined : position(layout.headersColumn);
  const timestampAt = layout.timestampColumn === undefined ? undefined : position(layout.timestampColumn);
  const placements = layout.placements.map((placement) => ({ ...placement, at: position(placement.column) }));

  return (values, commitTimeMs) => {
    const textAt = (at: number): string | null => values[at]?.toString('utf8') ?? null;
    const columnText = (column: string) => textAt(position(column));

    const key = textAt(keyAt);
    if (key === null || key === '') {
      throw new PoisonEventError(
        `column "${layout.aggregateIdColumn}" (the record key) is null or empty`,
        'null-key',
      );
    }
    const topic = layout.topic.render(columnText);
    if (!isLegalTopic(topic)) {
      throw new PoisonEventError(
        `topic "${topic}" from the template is not a legal Kafka topic name`,
        'invalid-topic',
      );
    }

    const headers: Record<string, string> = {};
    const eventId = textAt(idAt);
    if (layout.eventIdHeader && eventId !== null) headers[layout.eventIdHeader] = eventId;
    const eventType = eventTypeAt === undefined ? null : textAt(eventTypeAt);
    if (layout.eventTypeHeader && eventType !== null) headers[layout.eventTypeHeader] = eventType;
    if (headersAt !== undefined) Object.assign(headers, parseHeaderColumn(textAt(headersAt)));
    let partition: number | undefined;
    for (const placement of placements) {
      const value = textAt(placement.at);
      if (placement.kind === 'header') {
        if (value !== null) headers[placement.name] = value;
      } else {
        partition = parsePartition(value, placement.column);
      }
    }

    const stored = values[payloadAt] ?? null;
    const value =
      stored === null || layout.valueEncoding !== 'json-string'
        ? stored
        : Buffer.from(JSON.stringify(stored.toString('utf8')));
    const timestampText = timestampAt === undefined ? null : textAt(timestampAt);
    const timestampMs = timestampText === null ? commitTimeMs : timestamptzToUnixMs(timestampText);

    let sizeBytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(key) + (value?.length ?? 0);
    for (const name in headers) sizeBytes += name.length + Buffer.byteLength(headers[name] as string);
    return {
      topic,
      key,
      value,
      headers,
      eventType,
      timestampMs: Math.floor(Number.isNaN(timestampMs) ? commitTimeMs : timestampMs),
      partition,
      sizeBytes,
    };
  };
}

function parseHeaderColumn(text: string | null): Record<string, string> {
  if (text === null) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PoisonEventError('the headers column is not valid JSON', 'invalid-headers');
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PoisonEventError('the headers column is not a JSON object', 'invalid-headers');
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (value !== null) headers[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return headers;
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
