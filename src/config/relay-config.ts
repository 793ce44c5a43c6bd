/** The resolved configuration: every field present, validated once at start-up. */
export interface RelayConfig {
  readonly databaseUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly preset: Preset;
  readonly table: string;
  readonly slot: string;
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
  readonly kafkaClient: KafkaClient;
  readonly kafkaClientId: string;
  readonly kafkaSsl: boolean;
  readonly kafkaSaslMechanism: SaslMechanism;
  readonly kafkaSaslUsername: string;
  readonly kafkaSaslPassword: string;
  readonly kafkaCompression: Compression;
  readonly logLevel: LogLevel;
  readonly logPretty: boolean;
  readonly metricsPort: number;
  readonly metricsHost: string;
}

export const PRESETS = ['default', 'debezium'] as const;
export type Preset = (typeof PRESETS)[number];

/**
 * `json-text`: the payload's JSON text itself; `json-string`: that text as a JSON string, as
 * Debezium's JsonConverter writes it; `avro`: the payload converted to its Avro schema, in the
 * Confluent wire format (magic byte 0, 4-byte schema id, Avro binary).
 */
export const VALUE_ENCODINGS = ['json-text', 'json-string', 'avro'] as const;
export type ValueEncoding = (typeof VALUE_ENCODINGS)[number];

/** Confluent's subject name strategies: `topic` is `<topic>-value`, `record` the record's full name. */
export const SUBJECT_STRATEGIES = ['topic', 'record'] as const;
export type SubjectStrategy = (typeof SUBJECT_STRATEGIES)[number];

/** `dlq`: send the row to the dead-letter topic and go on; `stop`: stop the relay, confirming nothing past it. */
export const POISON_POLICIES = ['dlq', 'stop'] as const;
export type PoisonPolicy = (typeof POISON_POLICIES)[number];

/** The Kafka client library the relay sends with: both keep the same guarantees (src/kafka/). */
export const KAFKA_CLIENTS = ['librdkafka', 'kafkajs'] as const;
export type KafkaClient = (typeof KAFKA_CLIENTS)[number];

export const SASL_MECHANISMS = ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
