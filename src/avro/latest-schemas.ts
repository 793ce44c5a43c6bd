import type { SubjectStrategy } from '../config/relay-config.js';
import { PoisonEventError, SchemaRegistryError } from '../errors.js';
import type { OutboxRecord } from '../outbox/record.js';
import { parseAvroSchema } from './json-to-avro.js';
import type { SchemaRegistryClient } from './registry-client.js';
import { type ResolvedSchema, type SchemaSource, topicSubject } from './schema-source.js';

/**
 * After a mismatch, the registry is asked again for the subject's latest version, but at most
 * this often: a version registered mid-stream is found by the first payload that needs it, while
 * a stream of bad payloads cannot turn into a stream of registry calls.
 */
const RECHECK_INTERVAL_MS = 1_000;

interface Latest {
  readonly resolved: ResolvedSchema;
  /** When a mismatch last made us ask again (0: never). */
  readonly recheckedAt: number;
}

/**
 * Each subject's latest version in the registry, read on the subject's first record and kept.
 * A payload that does not fit the kept version makes it read again (see RECHECK_INTERVAL_MS),
 * so producers can start using a new version without restarting the relay.
 */
export class LatestSchemas implements SchemaSource {
  private readonly latest = new Map<string, Latest>();

  constructor(
    private readonly strategy: SubjectStrategy,
    private readonly registry: SchemaRegistryClient,
  ) {}

  async warmUp(): Promise<void> {}

  cached(record: OutboxRecord): ResolvedSchema | undefined {
    return this.latest.get(this.subjectFor(record))?.resolved;
  }

  resolve(record: OutboxRecord): Promise<ResolvedSchema> {
    return this.fetch(this.subjectFor(record));
  }

  mayHaveNewer(current: ResolvedSchema): boolean {
    const recheckedAt = this.latest.get(current.subject)?.recheckedAt ?? 0;
    return Date.now() - recheckedAt >= RECHECK_INTERVAL_MS;
  }

  async newer(current: ResolvedSchema): Promise<ResolvedSchema | undefined> {
    if (!this.mayHaveNewer(current)) return undefined;
    const latest = await this.fetch(current.subject, Date.now());
    return latest.id === current.id ? undefined : latest;
  }

  private async fetch(subject: string, recheckedAt = 0): Promise<ResolvedSchema> {
    const version = await this.registry.latest(subject);
    let schema: ResolvedSchema['schema'];
    try {
      schema = parseAvroSchema(version.schema);
    } catch (error) {
      throw new SchemaRegistryError(
        `version ${version.version} of subject "${subject}" is not an Avro schema avsc can read: ${(error as Error).message}`,
        undefined,
        false,
      );
    }
    const resolved = { subject, id: version.id, schema };
    this.latest.set(subject, { resolved, recheckedAt });
    return resolved;
  }

  private subjectFor(record: OutboxRecord): string {
    if (this.strategy === 'topic') return topicSubject(record.topic);
    if (record.eventType === null || record.eventType === '') {
      throw new PoisonEventError(
        'the event type (the record name under RecordNameStrategy) is null or empty, so no Avro schema can be chosen',
        'no-event-type',
      );
    }
    return record.eventType;
  }
}
