import type { Logger } from 'pino';
import type { RelayConfig } from '../config/relay-config.js';
import { PoisonEventError } from '../errors.js';
import type { RelationMessage } from '../replication/pgoutput/messages.js';
import type { TupleValue } from '../replication/pgoutput/tuple.js';
import type { OutboxRecord } from './record.js';

/** Where a poison event came from: its row as received, and its place in the WAL ('replay' when read from the table). */
export interface PoisonSource {
  readonly relation: RelationMessage;
  readonly values: readonly TupleValue[];
  readonly lsn: string;
  readonly xid: number;
  readonly commitTimeMs: number;
}

export interface PoisonContext extends PoisonSource {
  readonly reason: string;
  readonly error: string;
  readonly originalTopic: string | undefined;
}

/** How messages and logs name one event: 'the event at LSN … (xid …)' from the stream, 'row id=…' in a replay. */
export interface EventPlace {
  readonly text: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * What OUTBOX_ON_POISON does with an event that cannot be published, wherever it was found (the
 * mapper, the size bound, the Avro stage) and whoever read it (the stream, a replay): its
 * dead-letter record (dlq), or a fatal PoisonEventError (stop).
 */
export class PoisonEvents {
  constructor(
    private readonly config: Pick<RelayConfig, 'onPoison' | 'dlqTopic' | 'maxRecordBytes'>,
    private readonly logger: Logger,
    private readonly deadLettered: (reason: string) => void = () => undefined,
  ) {}

  deadLetter(
    error: PoisonEventError,
    source: PoisonSource,
    originalTopic: string | undefined,
    place: EventPlace,
  ): OutboxRecord {
    if (this.config.onPoison === 'stop') {
      throw new PoisonEventError(
        `${place.text} cannot be published: ${error.message}. Fix the row's data, or set OUTBOX_ON_POISON=dlq`,
        error.reason,
      );
    }
    this.logger.warn({ reason: error.reason, ...place.fields, topic: originalTopic }, error.message);
    this.deadLettered(error.reason);
    return deadLetterRecord(
      this.config.dlqTopic,
      { ...source, reason: error.reason, error: error.message, originalTopic },
      this.config.maxRecordBytes,
    );
  }
}

/** Room left in a dead-letter record for the row once headers and other columns are in. */
const DLQ_OVERHEAD_BYTES = 16 * 1024;
const TRUNCATION_MARK = '…[truncated]';

/**
 * The dead-letter record of a row that cannot be published: the raw row as a JSON object of
 * column -> text, headers naming the error, the original topic, the LSN and the xid. Values
 * too large for the broker are cut, and the header says so.
 */
export function deadLetterRecord(topic: string, poison: PoisonContext, maxRecordBytes: number): OutboxRecord {
  const budget = Math.max(1024, maxRecordBytes - DLQ_OVERHEAD_BYTES);
  const row: Record<string, string | null> = {};
  let truncated = false;
  poison.relation.columns.forEach((column, index) => {
    const value = poison.values[index];
    if (value === null || value === undefined) {
      row[column.name] = null;
    } else if (value.length > budget / poison.relation.columns.length) {
      row[column.name] =
        value.toString('utf8', 0, Math.floor(budget / poison.relation.columns.length)) + TRUNCATION_MARK;
      truncated = true;
    } else {
      row[column.name] = value.toString('utf8');
    }
  });
  const value = Buffer.from(JSON.stringify(row));
  const headers: Record<string, string> = {
    'outbox.error': poison.error,
    'outbox.error.reason': poison.reason,
    'outbox.lsn': poison.lsn,
    'outbox.xid': String(poison.xid),
    'outbox.table': `${poison.relation.schema}.${poison.relation.table}`,
  };
  if (poison.originalTopic) headers['outbox.original.topic'] = poison.originalTopic;
  if (truncated) headers['outbox.truncated'] = 'true';
  let sizeBytes = value.length + 64;
  for (const name in headers) sizeBytes += name.length + Buffer.byteLength(headers[name] as string);
  return {
    topic,
    key: `${poison.lsn}`,
    value,
    headers,
    eventType: null,
    timestampMs: Math.floor(poison.commitTimeMs),
    partition: undefined,
    sizeBytes,
  };
}
