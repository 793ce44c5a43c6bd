import { formatLsn, type Lsn, parseLsn } from '../replication/lsn.js';

/**
 * How far the slot's stream is in Kafka (exactly-once delivery): every event of every transaction
 * that committed before `commitLsn`, and the first `events` events of the one that committed at
 * it. Transactions are identified by their commit LSN (Begin's final LSN), which is unique and
 * comes in stream order; events by their position in the transaction, which a resend repeats.
 */
export interface KafkaCheckpoint {
  readonly commitLsn: Lsn;
  readonly events: number;
}

/** Whose stream a checkpoint describes: another database's or slot's checkpoint must never match. */
export interface StreamIdentity {
  /** pg_control_system().system_identifier: the same on a primary and its physical standbys. */
  readonly systemId: string;
  readonly database: string;
  readonly slot: string;
}

/** The checkpoint record's key: one per stream, so that compaction keeps the latest of each. */
export function checkpointKey({ systemId, database, slot }: StreamIdentity): string {
  return `${systemId}/${database}/${slot}`;
}

/** Whether the event at `ordinal` (1-based) of the transaction committed at `commitLsn` is in Kafka. */
export function isPublished(checkpoint: KafkaCheckpoint, commitLsn: Lsn, ordinal: number): boolean {
  return (
    commitLsn < checkpoint.commitLsn || (commitLsn === checkpoint.commitLsn && ordinal <= checkpoint.events)
  );
}

export function encodeCheckpoint(identity: StreamIdentity, checkpoint: KafkaCheckpoint): Buffer {
  return Buffer.from(
    JSON.stringify({
      ...identity,
      commitLsn: formatLsn(checkpoint.commitLsn),
      events: checkpoint.events,
      writtenAt: new Date().toISOString(),
    }),
  );
}

/** The checkpoint in a record's value; throws on anything the relay did not write. */
export function decodeCheckpoint(value: Buffer | null): KafkaCheckpoint {
  const parsed = JSON.parse(value?.toString('utf8') ?? 'null') as {
    commitLsn?: unknown;
    events?: unknown;
  } | null;
  if (
    typeof parsed?.commitLsn !== 'string' ||
    typeof parsed.events !== 'number' ||
    !Number.isSafeInteger(parsed.events) ||
    parsed.events < 0
  ) {
    throw new TypeError(`not a checkpoint record: ${value?.toString('utf8').slice(0, 200) ?? 'null'}`);
  }
  return { commitLsn: parseLsn(parsed.commitLsn), events: parsed.events };
}
