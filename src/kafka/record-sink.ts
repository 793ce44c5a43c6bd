import type { Delivery } from './batch.js';

/**
 * Where a session hands its records: Kafka itself (KafkaSink), or a stage in front of it that
 * rewrites records on the way (AvroEncodingSink). Deliveries are acknowledged in the order given.
 */
export interface RecordSink {
  /** Rejects when the sink meets a failure no retry can fix. */
  readonly failed: Promise<never>;
  /**
   * Whether this sink may still find a record unpublishable and send its dead-letter record
   * instead (Delivery.deadLetter); only then does a delivery need that fallback.
   */
  readonly mayDeadLetter: boolean;
  enqueue(delivery: Delivery): void;
  /** Resolves once everything enqueued so far is acknowledged (or the sink closed). */
  whenIdle(): Promise<void>;
  /** Drops what is not yet sent: the server will send it again. */
  discardQueued(): void;
  /** Stops for good; nothing more is sent or retried. */
  close(): void;
}
