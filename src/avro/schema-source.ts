import type { OutboxRecord } from '../outbox/record.js';
import type { AvroSchema } from './json-to-avro.js';

/** A record's writer schema and its registry id, under the subject it was resolved for. */
export interface ResolvedSchema {
  readonly subject: string;
  readonly id: number;
  readonly schema: AvroSchema;
}

/**
 * Where a record's Avro schema comes from. `cached` answers synchronously for every record after
 * the first of its subject, so the registry is not called per event; `resolve` and `newer` call
 * the registry and may fail with a SchemaRegistryError. A record that can have no schema (no event
 * type) is a PoisonEventError; a schema that should exist but does not is a fatal error.
 */
export interface SchemaSource {
  /** Checks or registers what can be known before the first event. */
  warmUp(): Promise<void>;
  cached(record: OutboxRecord): ResolvedSchema | undefined;
  resolve(record: OutboxRecord): Promise<ResolvedSchema>;
  /** Whether `newer` may find a schema other than `current` (without calling the registry). */
  mayHaveNewer(current: ResolvedSchema): boolean;
  /** After a payload did not match `current`: a newer schema of the same subject, if there is one. */
  newer(current: ResolvedSchema): Promise<ResolvedSchema | undefined>;
}

/** TopicNameStrategy's subject for record values. */
export function topicSubject(topic: string): string {
  return `${topic}-value`;
}
