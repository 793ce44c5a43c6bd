/** What the mapper makes of one outbox row, ready for Kafka. */
export interface OutboxRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  /** Milliseconds since 1970, as a decimal string (Kafka's CreateTime). */
  readonly timestamp: string;
  readonly partition: number | undefined;
  /** Estimated size on the wire, for batch and in-flight bounds. */
  readonly sizeBytes: number;
}
