import type { PoisonEventError } from '../errors.js';
import type { OutboxRecord } from '../outbox/record.js';

/**
 * Who is told when the broker has a record: the record's transaction in the session that read
 * it. One receipt serves every event of a transaction, so nothing is allocated per event for it.
 */
export interface Receipt {
  acknowledged(delivery: Delivery): void;
}

/** A record on its way to Kafka. */
export interface Delivery {
  /** The record to send; a stage on the way may put another in its place (encoded, dead letter). */
  readonly record: OutboxRecord;
  readonly receipt: Receipt;
  /** What the record was charged to the in-flight budget when it was received. */
  readonly chargedBytes: number;
  /**
   * The record to send instead when a later stage finds this one unpublishable (its payload does
   * not match its Avro schema); it may throw, to stop the relay (OUTBOX_ON_POISON=stop).
   * Undefined for a dead-letter record, which is sent as it is.
   */
  readonly deadLetter: ((error: PoisonEventError) => OutboxRecord) | undefined;
}
