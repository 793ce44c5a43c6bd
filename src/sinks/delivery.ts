import type { PoisonEventError } from '../errors.js';
import type { OutboxRecord } from '../outbox/record.js';
import type { TransactionIdentity } from '../replication/transaction-identity.js';

/**
 * Who is told when the broker has a record: the record's transaction in the session that read
 * it. One receipt serves every event of a transaction, and needs nothing of the record but the
 * topic it went to: a sink need not keep a record once the client has it.
 */
export interface Receipt extends TransactionIdentity {
  acknowledged(topic: string): void;
}

/** A record on its way to Kafka. */
export interface Delivery {
  /** The record to send; a stage on the way may put another in its place (encoded, dead letter). */
  readonly record: OutboxRecord;
  readonly receipt: Receipt;
  /** The record's position in its transaction, from 1: a resend of the transaction repeats it. */
  readonly ordinal: number;
  /**
   * The record to send instead when a later stage finds this one unpublishable (its payload does
   * not match its Avro schema); it may throw, to stop the relay (OUTBOX_ON_POISON=stop).
   * Undefined for a dead-letter record, which is sent as it is.
   */
  readonly deadLetter: ((error: PoisonEventError) => OutboxRecord) | undefined;
}
