import type { RelayConfig } from '../config/relay-config.js';
import { errorMessage, SchemaRegistryError } from '../errors.js';
import type { RecordSink } from '../sinks/record-sink.js';
import { AvroEncodingSink, type AvroSinkObserver } from './avro-sink.js';
import { DirectorySchemas } from './directory-schemas.js';
import { LatestSchemas } from './latest-schemas.js';
import { SchemaRegistryClient } from './registry-client.js';
import type { SchemaSource } from './schema-source.js';

/** The Avro stage, checked and ready to go in front of the Kafka sink. */
export interface AvroStage {
  wrap(next: RecordSink, observer: AvroSinkObserver): RecordSink;
}

/**
 * Checks the registry and the schemas before anything connects to Kafka (see schemasFromConfig).
 * The relay imports this module only for OUTBOX_VALUE_ENCODING=avro, so that a JSON relay does
 * not load avsc at all.
 */
export async function prepareAvroStage(config: RelayConfig): Promise<AvroStage> {
  const schemas = await schemasFromConfig(config);
  return { wrap: (next, observer) => new AvroEncodingSink(next, schemas, config, observer) };
}

/**
 * The schema source the configuration asks for, checked before streaming starts: the registry
 * answers and takes the credentials, the directory's schemas parse, and (RecordNameStrategy)
 * each is registered or known. Any failure here is fatal, with the setting to fix.
 */
async function schemasFromConfig(config: RelayConfig): Promise<SchemaSource> {
  const credentials = config.schemaRegistryUsername
    ? { username: config.schemaRegistryUsername, password: config.schemaRegistryPassword }
    : undefined;
  const registry = new SchemaRegistryClient(config.schemaRegistryUrl, credentials);
  const schemas = config.avroSchemasDir
    ? new DirectorySchemas(config.avroSchemasDir, config.avroSubjectStrategy, config.avroRegister, registry)
    : new LatestSchemas(config.avroSubjectStrategy, registry);
  try {
    await registry.check();
    await schemas.warmUp();
  } catch (error) {
    if (!(error instanceof SchemaRegistryError) || !error.retriable) throw error;
    throw new SchemaRegistryError(
      `${errorMessage(error)}. Check OUTBOX_SCHEMA_REGISTRY_URL and that the registry runs.`,
      error.status,
      false,
      { cause: error },
    );
  }
  return schemas;
}
