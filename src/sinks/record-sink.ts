import type { KafkaSendError } from '../errors.js';
import type { Delivery } from './delivery.js';

/**
 * Where a session hands its records: a Kafka client's sink (kafkajs/, librdkafka/), or a stage in
 * front of one that rewrites records on the way (AvroEncodingSink). Each record of a key reaches
 * its partition in the order given; each delivery's receipt is told once the broker has it.
 */
export interface RecordSink {
  /**
   * Rejects when the sink can send nothing more. A retriable rejection (the client must be
   * created anew) ends the session: the relay replaces the sink and resends from the slot.
   */
  readonly failed: Promise<never>;
  /**
   * Whether this sink may still find a record unpublishable and send its dead-letter record
   * instead (Delivery.deadLetter); only then does a delivery need that fallback.
   */
  readonly mayDeadLetter: boolean;
  enqueue(delivery: Delivery): void;
  /** Resolves once everything enqueued so far is acknowledged (or the sink closed). */
  whenIdle(): Promise<void>;
  /** Drops what is not yet sent, where the client allows it: the server will send it again. */
  discardQueued(): void;
  /** Stops for good: nothing more is sent or retried; the client disconnects. Idempotent. */
  close(): Promise<void>;
}

/** What a Kafka sink reports, for state, logs and metrics. */
export interface SinkObserver {
  /**
   * Records acknowledged together: one sendBatch (kafkajs), or the delivery reports of one turn
   * of the event loop (librdkafka; `bytes` then counts values only). `seconds` is the send's
   * round trip (kafkajs), or the produce to report time of the one record timed at a time
   * (librdkafka), undefined in rounds without it.
   */
  batchSent(events: number, bytes: number, seconds: number | undefined): void;
  /** The broker could not be reached or refused for now; the sink retries. */
  sendFailed(error: KafkaSendError, attempt: number, delayMs: number): void;
  sendRecovered(): void;
}
