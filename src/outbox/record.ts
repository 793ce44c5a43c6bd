import { PoisonEventError } from '../errors.js';

/** What the mapper makes of one outbox row, ready for Kafka. */
export interface OutboxRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer | null;
  /** Header values; null is a header with a null value (Kafka Connect's for a NULL column). */
  readonly headers: Record<string, string | null>;
  /** The row's event type, which picks its Avro schema; null when the row or layout has none. */
  readonly eventType: string | null;
  /** Milliseconds since 1970, a whole number (Kafka's CreateTime); undefined: the Kafka client's send time. */
  readonly timestampMs: number | undefined;
  readonly partition: number | undefined;
  /** Estimated size on the wire, for batch and in-flight bounds. */
  readonly sizeBytes: number;
}

/** Throws the too-large PoisonEventError when the record would exceed OUTBOX_MAX_RECORD_BYTES. */
export function assertPublishableSize(record: OutboxRecord, maxRecordBytes: number): void {
  if (record.sizeBytes > maxRecordBytes) {
    throw new PoisonEventError(
      `record of ${record.sizeBytes} bytes exceeds OUTBOX_MAX_RECORD_BYTES=${maxRecordBytes}`,
      'too-large',
    );
  }
}
