/** The resolved configuration: every field present, validated once at start-up. */
export interface RelayConfig {
  readonly databaseUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly preset: Preset;
  readonly table: string;
  /** Where events come from: rows of the outbox table, transactional WAL messages, or both. */
  readonly source: OutboxSource;
  /** The prefix of the WAL messages that are events (pg_logical_emit_message). */
  readonly messagePrefix: string;
  readonly slot: string;
  readonly failoverSlot: boolean;
  readonly publication: string;
  readonly idColumn: string;
  readonly aggregateTypeColumn: string;
  readonly aggregateIdColumn: string;
  readonly eventTypeColumn: string;
  readonly payloadColumn: string;
  readonly headersColumn: string;
  readonly timestampColumn: string;
  readonly topicTemplate: string;
  readonly valueEncoding: ValueEncoding;
  readonly keyEncoding: FieldEncoding;
  readonly headerEncoding: FieldEncoding;
  readonly tombstoneOnEmptyPayload: boolean;
  readonly recordTimestamp: RecordTimestamp;
  readonly partitionPlacement: boolean;
  readonly schemaRegistryUrl: string;
  readonly schemaRegistryUsername: string;
  readonly schemaRegistryPassword: string;
  readonly avroSchemasDir: string;
  readonly avroSubjectStrategy: SubjectStrategy;
  readonly avroRegister: boolean;
  readonly eventIdHeader: string;
  readonly eventTypeHeader: string;
  readonly additionalPlacement: string;
  readonly onPoison: PoisonPolicy;
  readonly dlqTopic: string;
  readonly maxRecordBytes: number;
  readonly leaderPollMs: number;
  readonly batchMaxEvents: number;
  readonly batchMaxBytes: number;
  readonly batchLingerMs: number;
  readonly maxInflightEvents: number;
  readonly maxInflightBytes: number;
  readonly statusIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly retryMaxMs: number;
  /** Milliseconds; 0: the relay deletes no rows. */
  readonly retentionMs: number;
  readonly retentionBatchRows: number;
  readonly retentionIntervalMs: number;
  /** A partitioned outbox's partition length (init --partitioned), in milliseconds. */
  readonly partitionPeriodMs: number;
  readonly kafkaClient: KafkaClient;
  readonly delivery: DeliveryGuarantee;
  readonly checkpointTopic: string;
  /** Empty: derived from the server, database and slot (sinks/kafka/transactional-id.ts). */
  readonly transactionalId: string;
  readonly kafkaClientId: string;
  readonly kafkaSsl: boolean;
  /** PEM files ('' when not set): the CA bundle, and a client certificate and key for mutual TLS. */
  readonly kafkaSslCaFile: string;
  readonly kafkaSslCertFile: string;
  readonly kafkaSslKeyFile: string;
  readonly kafkaSslKeyPassword: string;
  readonly kafkaSaslMechanism: SaslMechanism;
  readonly kafkaSaslUsername: string;
  readonly kafkaSaslPassword: string;
  readonly kafkaCompression: Compression;
  readonly logLevel: LogLevel;
  readonly logPretty: boolean;
  readonly metricsPort: number;
  readonly metricsHost: string;
}

/**
 * `debezium`: Debezium's outbox table and its router's defaults. The `debezium-*` migration
 * profiles add the record format of one Debezium converter setup each (presets.ts, README).
 */
export const PRESETS = [
  'default',
  'debezium',
  'debezium-connect-string',
  'debezium-connect-json',
  'debezium-connect-expanded',
  'debezium-server-string',
  'debezium-server-json',
  'debezium-server-json-plain',
  'debezium-server-expanded',
] as const;
export type Preset = (typeof PRESETS)[number];

/**
 * The record value, as Debezium's outbox router and Kafka Connect's converters write it:
 * `json-text`: the payload as stored (StringConverter; bytea as raw bytes, ByteArrayConverter);
 * `json-string`: the payload as a JSON string (JsonConverter, schemas off); `json-envelope`: the
 * same in JsonConverter's schema envelope; `json-expanded` / `json-expanded-envelope`: the payload
 * parsed and re-serialized (`table.expand.json.payload=true`); `avro`: the payload converted to
 * its Avro schema, in the Confluent wire format (magic byte 0, 4-byte schema id, Avro binary).
 */
export const VALUE_ENCODINGS = [
  'json-text',
  'json-string',
  'json-envelope',
  'json-expanded',
  'json-expanded-envelope',
  'avro',
] as const;
export type ValueEncoding = (typeof VALUE_ENCODINGS)[number];

/**
 * The record key and headers: `string` (StringConverter, SimpleHeaderConverter, simplestring),
 * `json` (JsonConverter, schemas off: `"o-1001"`), `json-envelope` (JsonConverter with schemas).
 */
export const FIELD_ENCODINGS = ['string', 'json', 'json-envelope'] as const;
export type FieldEncoding = (typeof FIELD_ENCODINGS)[number];

/**
 * `source`: the row's timestamp column, or the commit time where there is none (or it is NULL);
 * `send`: the time the Kafka client sends the record (Debezium Server; near Kafka Connect's
 * processing time).
 */
export const OUTBOX_SOURCES = ['table', 'messages', 'both'] as const;
export type OutboxSource = (typeof OUTBOX_SOURCES)[number];

/** Whether events come from rows of OUTBOX_TABLE (OUTBOX_SOURCE table or both). */
export const readsTable = (config: Pick<RelayConfig, 'source'>): boolean => config.source !== 'messages';
/** Whether events come from WAL messages (OUTBOX_SOURCE messages or both). */
export const readsMessages = (config: Pick<RelayConfig, 'source'>): boolean => config.source !== 'table';

export const RECORD_TIMESTAMPS = ['source', 'send'] as const;
export type RecordTimestamp = (typeof RECORD_TIMESTAMPS)[number];

/** Confluent's subject name strategies: `topic` is `<topic>-value`, `record` the record's full name. */
export const SUBJECT_STRATEGIES = ['topic', 'record'] as const;
export type SubjectStrategy = (typeof SUBJECT_STRATEGIES)[number];

/** `dlq`: send the row to the dead-letter topic and go on; `stop`: stop the relay, confirming nothing past it. */
export const POISON_POLICIES = ['dlq', 'stop'] as const;
export type PoisonPolicy = (typeof POISON_POLICIES)[number];

/** The Kafka client library the relay sends with: both keep the same guarantees (src/sinks/kafka/). */
export const KAFKA_CLIENTS = ['librdkafka', 'kafkajs'] as const;
export type KafkaClient = (typeof KAFKA_CLIENTS)[number];

/** At-least-once (idempotent producer) or exactly-once (Kafka transactions with a checkpoint record). */
export const DELIVERY_GUARANTEES = ['at-least-once', 'exactly-once'] as const;
export type DeliveryGuarantee = (typeof DELIVERY_GUARANTEES)[number];

export const isExactlyOnce = (config: Pick<RelayConfig, 'delivery'>): boolean =>
  config.delivery === 'exactly-once';

export const SASL_MECHANISMS = ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
