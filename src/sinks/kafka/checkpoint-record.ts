import type { PublishedTransaction } from '../../checkpoint/published-history.js';
import type { StoredCheckpoint } from '../../checkpoint/stored-checkpoint.js';
import { formatLsn, parseLsn } from '../../replication/lsn.js';
import type { StreamIdentity } from '../../replication/stream-identity.js';

/**
 * How far the slot's stream is in Kafka (exactly-once delivery): every event of every transaction
 * that committed before the checkpointed one, and its first `events` events. Events are numbered
 * by their position in the transaction, which a resend repeats. The transaction is named by its
 * commit LSN, xid and commit time, so that a server with another history (a restored copy, a
 * point-in-time recovery, a standby that lagged) cannot pass for the one it was read from.
 */
export type KafkaCheckpoint = PublishedTransaction;

/** The checkpoint record's key: one per stream, so that compaction keeps the latest of each. */
export function checkpointKey({ systemId, database, slot }: StreamIdentity): string {
  return `${systemId}/${database}/${slot}`;
}

export function encodeCheckpoint(identity: StreamIdentity, checkpoint: KafkaCheckpoint): Buffer {
  return Buffer.from(
    JSON.stringify({
      ...identity,
      commitLsn: formatLsn(checkpoint.commitLsn),
      xid: checkpoint.xid,
      commitTimeMicros: checkpoint.commitTimeMicros,
      events: checkpoint.events,
      writtenAt: new Date().toISOString(),
    }),
  );
}

/** The checkpoint in a record's value; throws on anything the relay did not write. */
export function decodeCheckpoint(value: Buffer | null): StoredCheckpoint {
  const parsed = JSON.parse(value?.toString('utf8') ?? 'null') as {
    commitLsn?: unknown;
    xid?: unknown;
    commitTimeMicros?: unknown;
    events?: unknown;
  } | null;
  if (typeof parsed?.commitLsn !== 'string' || !isCount(parsed.events)) {
    throw new TypeError(`not a checkpoint record: ${value?.toString('utf8').slice(0, 200) ?? 'null'}`);
  }
  const commitLsn = parseLsn(parsed.commitLsn);
  if (parsed.xid === undefined && parsed.commitTimeMicros === undefined) {
    return { unprovable: true, commitLsn: parsed.commitLsn };
  }
  if (!isCount(parsed.xid) || !isCount(parsed.commitTimeMicros)) {
    throw new TypeError(`not a checkpoint record: ${value?.toString('utf8').slice(0, 200) ?? 'null'}`);
  }
  return { commitLsn, xid: parsed.xid, commitTimeMicros: parsed.commitTimeMicros, events: parsed.events };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
