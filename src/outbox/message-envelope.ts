import { ENVELOPE_VERSION, type MessageEnvelope } from '../client/envelope.js';
import type { RelayConfig } from '../config/relay-config.js';
import { PoisonEventError } from '../errors.js';
import type { RelationColumn, RelationMessage } from '../replication/pgoutput/messages.js';
import type { TupleValue } from '../replication/pgoutput/tuple.js';

const TEXT = 25;
const UUID = 2950;
const JSONB = 3802;
const TIMESTAMPTZ = 1184;

/**
 * Events written as WAL messages go through the same row mapper as table rows: over this
 * relation, which names the envelope's fields after the configured columns. Its oid is not a
 * table's (0), so no Insert is ever taken for it.
 */
export function messageRelation(config: RelayConfig): RelationMessage {
  const column = (name: string, typeOid: number): RelationColumn[] =>
    name === '' ? [] : [{ name, typeOid, isKey: false }];
  return {
    tag: 'relation',
    relationOid: 0,
    schema: 'pg_logical_emit_message',
    table: config.messagePrefix,
    columns: [
      ...column(config.idColumn, UUID),
      ...column(config.aggregateTypeColumn, TEXT),
      ...column(config.aggregateIdColumn, TEXT),
      ...column(config.eventTypeColumn, TEXT),
      ...column(config.payloadColumn, JSONB),
      ...column(config.headersColumn, JSONB),
      // No envelope field: the record's timestamp is then the commit time, as for a null column.
      ...column(config.timestampColumn, TIMESTAMPTZ),
    ],
  };
}

/** Reads one message's content into a row of messageRelation, or throws a poison error naming what is wrong. */
export type EnvelopeReader = (content: Buffer) => TupleValue[];

type Field = (envelope: MessageEnvelope) => string | null;

/**
 * The reader for a relation made by messageRelation: which envelope field fills which column is
 * settled here, once, not for every message.
 */
export function compileEnvelopeReader(relation: RelationMessage, config: RelayConfig): EnvelopeReader {
  const byColumn = new Map<string, Field>([
    [config.idColumn, (envelope) => envelope.id],
    [config.aggregateTypeColumn, (envelope) => envelope.aggregateType],
    [config.aggregateIdColumn, (envelope) => envelope.aggregateId],
    [config.eventTypeColumn, (envelope) => envelope.eventType],
    [
      config.payloadColumn,
      (envelope) => (envelope.payload === null ? null : JSON.stringify(envelope.payload)),
    ],
    [config.headersColumn, (envelope) => (envelope.headers ? JSON.stringify(envelope.headers) : null)],
  ]);
  const fields = relation.columns.map(({ name }): Field => byColumn.get(name) ?? (() => null));
  return (content) => {
    const envelope = parseEnvelope(content);
    return fields.map((field) => {
      const value = field(envelope);
      return value === null ? null : Buffer.from(value);
    });
  };
}

function parseEnvelope(content: Buffer): MessageEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw malformed(`it is not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw malformed('it is not an object');
  const envelope = parsed as Record<string, unknown>;
  if (envelope.v !== ENVELOPE_VERSION) {
    throw malformed(`version ${JSON.stringify(envelope.v)} is not ${ENVELOPE_VERSION}`);
  }
  for (const field of ['id', 'aggregateType', 'aggregateId', 'eventType'] as const) {
    if (typeof envelope[field] !== 'string' || envelope[field] === '') {
      throw malformed(`"${field}" is not a non-empty string`);
    }
  }
  if (!('payload' in envelope)) throw malformed('"payload" is missing (null for none)');
  const headers = envelope.headers;
  if (
    headers !== undefined &&
    (typeof headers !== 'object' ||
      headers === null ||
      Object.values(headers).some((value) => typeof value !== 'string'))
  ) {
    throw malformed('"headers" is not an object of strings');
  }
  return envelope as unknown as MessageEnvelope;
}

function malformed(problem: string): PoisonEventError {
  return new PoisonEventError(`malformed outbox message envelope: ${problem}`, 'malformed-envelope');
}
