import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SubjectStrategy } from '../config/relay-config.js';
import { ConfigError, PoisonEventError } from '../errors.js';
import type { OutboxRecord } from '../outbox/record.js';
import { type AvroSchema, parseAvroSchema } from './json-to-avro.js';
import type { SchemaRegistryClient } from './registry-client.js';
import { type ResolvedSchema, type SchemaSource, topicSubject } from './schema-source.js';

const DIR_FIELD = 'OUTBOX_AVRO_SCHEMAS_DIR';

interface SchemaFile {
  readonly file: string;
  /** The schema as sent to the registry: the file's JSON, re-serialised without whitespace. */
  readonly text: string;
  readonly schema: AvroSchema;
}

/**
 * Schemas from a directory, `<event_type>.avsc` per event type. Each (subject, event type) pair
 * is looked up in the registry once (or registered, with OUTBOX_AVRO_REGISTER) for its id. The
 * files are read at start-up only: a new version takes a restart (a rolling deploy).
 */
export class DirectorySchemas implements SchemaSource {
  private readonly files: ReadonlyMap<string, SchemaFile>;
  private readonly resolved = new Map<string, ResolvedSchema>();

  constructor(
    private readonly directory: string,
    private readonly strategy: SubjectStrategy,
    private readonly register: boolean,
    private readonly registry: SchemaRegistryClient,
  ) {
    this.files = readSchemaFiles(directory);
  }

  /** With RecordNameStrategy every subject is known now: check (or register) them all at start-up. */
  async warmUp(): Promise<void> {
    if (this.strategy !== 'record') return;
    for (const [eventType, file] of this.files) await this.fetch(eventType, file, file.schema.name);
  }

  cached(record: OutboxRecord): ResolvedSchema | undefined {
    const { eventType, file } = this.fileFor(record);
    return this.resolved.get(cacheKey(this.subjectFor(record, file), eventType));
  }

  resolve(record: OutboxRecord): Promise<ResolvedSchema> {
    const { eventType, file } = this.fileFor(record);
    return this.fetch(eventType, file, this.subjectFor(record, file));
  }

  mayHaveNewer(): boolean {
    return false;
  }

  async newer(): Promise<undefined> {
    return undefined;
  }

  private async fetch(eventType: string, file: SchemaFile, subject: string): Promise<ResolvedSchema> {
    const id = this.register
      ? await this.registry.register(subject, file.text)
      : (await this.registry.lookup(subject, file.text)).id;
    const resolved = { subject, id, schema: file.schema };
    this.resolved.set(cacheKey(subject, eventType), resolved);
    return resolved;
  }

  private subjectFor(record: OutboxRecord, file: SchemaFile): string {
    return this.strategy === 'topic' ? topicSubject(record.topic) : file.schema.name;
  }

  private fileFor(record: OutboxRecord): { eventType: string; file: SchemaFile } {
    const { eventType } = record;
    if (eventType === null || eventType === '') {
      throw new PoisonEventError(
        'the event type is null or empty, so no Avro schema can be chosen',
        'no-event-type',
      );
    }
    const file = this.files.get(eventType);
    if (!file) {
      throw new ConfigError(
        DIR_FIELD,
        `has no schema for event type "${eventType}": add ${join(this.directory, `${eventType}.avsc`)} and restart. Nothing from this event on was confirmed.`,
      );
    }
    return { eventType, file };
  }
}

function cacheKey(subject: string, eventType: string): string {
  return `${subject}\u0000${eventType}`;
}

function readSchemaFiles(directory: string): Map<string, SchemaFile> {
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith('.avsc'));
  } catch (error) {
    throw new ConfigError(DIR_FIELD, `cannot read the directory "${directory}": ${(error as Error).message}`);
  }
  if (names.length === 0) {
    throw new ConfigError(
      DIR_FIELD,
      `"${directory}" holds no .avsc files; add <event_type>.avsc per event type`,
    );
  }
  const files = new Map<string, SchemaFile>();
  for (const name of names.sort()) {
    const file = join(directory, name);
    let text: string;
    let schema: AvroSchema;
    try {
      text = JSON.stringify(JSON.parse(readFileSync(file, 'utf8')));
      schema = parseAvroSchema(text);
    } catch (error) {
      throw new ConfigError(DIR_FIELD, `${file} is not a valid Avro schema: ${(error as Error).message}`);
    }
    if (schema.type.typeName !== 'record') {
      throw new ConfigError(
        DIR_FIELD,
        `${file} defines a ${schema.type.typeName}; an event's schema must be a record`,
      );
    }
    files.set(name.slice(0, -'.avsc'.length), { file, text, schema });
  }
  return files;
}
