import type { RelationMessage } from '../replication/pgoutput/messages.js';
import type { TupleValue } from '../replication/pgoutput/tuple.js';
import type { OutboxRecord } from './record.js';

export interface PoisonContext {
  readonly relation: RelationMessage;
  readonly values: readonly TupleValue[];
  readonly reason: string;
  readonly error: string;
  readonly originalTopic: string | undefined;
  readonly lsn: string;
  readonly xid: number;
  readonly commitTimeMs: number;
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
