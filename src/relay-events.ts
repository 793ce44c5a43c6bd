import type { Divergence } from './checkpoint/history-check.js';
import type { KafkaSendError, RelayError, SchemaRegistryError } from './errors.js';
import type { Lsn } from './replication/lsn.js';

/** Where the relay is; `/readyz` is true only while `streaming`. */
export type RelayState =
  | 'starting'
  | 'standby'
  | 'fenced'
  | 'connecting'
  | 'streaming'
  | 'kafka-unavailable'
  | 'registry-unavailable'
  | 'backing-off'
  | 'draining'
  | 'stopped'
  | 'failed';

/** Typed events for whoever embeds the relay (metrics subscribe to these); not logs. */
export interface RelayEvents {
  'state:changed': [state: RelayState, previous: RelayState];
  /**
   * Records acknowledged together: a sendBatch (kafkajs), a round of delivery reports
   * (librdkafka). seconds: the round trip, undefined when the client timed none in this round.
   */
  'batch:sent': [events: number, bytes: number, seconds: number | undefined];
  'batch:failed': [error: KafkaSendError, attempt: number, delayMs: number];
  /** A Schema Registry call failed and will be retried (OUTBOX_VALUE_ENCODING=avro). */
  'registry:failed': [error: SchemaRegistryError, attempt: number, delayMs: number];
  /** Events of one topic and one transaction (commitTimeMs), acknowledged by the broker together. */
  'events:acknowledged': [topic: string, events: number, commitTimeMs: number, ackTimeMs: number];
  'checkpoint:confirmed': [lsn: Lsn];
  /** A poison event was sent to the dead-letter topic (reason: null-key, too-large, ...). */
  'event:dead-lettered': [reason: string];
  /** An event the stream sent again, already in Kafka (by the checkpoint, or by what this process published), left out. */
  'event:skipped': [];
  /** The server's history does not have what was published (its events are in Kafka only); nothing was skipped. */
  'history:diverged': [divergence: Divergence];
  /** OUTBOX_RETENTION deleted confirmed rows older than the retention. */
  'retention:deleted': [rows: number];
  /** A retention round's view of the outbox table. */
  'retention:observed': [tableBytes: number, oldestRowAgeSeconds: number];
  /** This process holds the slot's leader lock and may stream. */
  'leader:acquired': [waitedMs: number];
  'replication:error': [error: RelayError, willRetry: boolean];
}
