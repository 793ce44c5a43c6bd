import { DEFAULT_MESSAGE_PREFIX } from '../client/envelope.js';
import {
  boolean,
  brokerList,
  columnName,
  duration,
  httpUrl,
  integer,
  nonEmpty,
  oneOf,
  optionalColumnName,
  type Parser,
  pemFile,
  postgresUrl,
  qualifiedTable,
  sqlName,
  text,
} from './parsers.js';
import {
  COMPRESSIONS,
  DELIVERY_GUARANTEES,
  FIELD_ENCODINGS,
  KAFKA_CLIENTS,
  LOG_LEVELS,
  OUTBOX_SOURCES,
  POISON_POLICIES,
  PRESETS,
  RECORD_TIMESTAMPS,
  type RelayConfig,
  SASL_MECHANISMS,
  SUBJECT_STRATEGIES,
  VALUE_ENCODINGS,
} from './relay-config.js';

/**
 * Every setting, once: its environment variable, parser, default and description. The
 * loader, `--help` and the README's configuration table are all generated from this list.
 */
export interface OptionSpec<K extends keyof RelayConfig = keyof RelayConfig> {
  readonly key: K;
  readonly env: string;
  readonly parse: Parser<RelayConfig[K]>;
  /** Undefined: required. A preset may override it (presets.ts). */
  readonly fallback: RelayConfig[K] | undefined;
  /**
   * 'value': the whole value is secret (a password); 'credentials-in-url': a URL whose user info and
   * password parameters are. No output shows either (src/config/redact.ts).
   */
  readonly secret?: 'value' | 'credentials-in-url';
  readonly description: string;
}

function option<K extends keyof RelayConfig>(spec: OptionSpec<K>): OptionSpec {
  return spec as unknown as OptionSpec;
}

const MiB = 1024 * 1024;

export const OPTIONS: readonly OptionSpec[] = [
  option({
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    parse: postgresUrl,
    fallback: undefined,
    secret: 'credentials-in-url',
    description:
      'PostgreSQL URL of the database holding the outbox; the role needs REPLICATION. Its passwords (user info, ?password=, sslpassword=) are never shown',
  }),
  option({
    key: 'kafkaBrokers',
    env: 'KAFKA_BROKERS',
    parse: brokerList,
    fallback: undefined,
    description: 'Kafka bootstrap brokers, host:port[,host:port…]',
  }),
  option({
    key: 'preset',
    env: 'OUTBOX_PRESET',
    parse: oneOf(PRESETS),
    fallback: 'default',
    description:
      "Column layout and record format: 'default', 'debezium' (Debezium's outbox table and router) or a Debezium migration profile: debezium-connect-string, debezium-connect-json, debezium-connect-expanded, debezium-server-string, debezium-server-json, debezium-server-json-plain, debezium-server-expanded (README: moving from Debezium)",
  }),
  option({
    key: 'table',
    env: 'OUTBOX_TABLE',
    parse: qualifiedTable,
    fallback: 'public.outbox',
    description: 'The outbox table, schema.table; quote a name to keep its case, e.g. "App"."OutboxEvent"',
  }),
  option({
    key: 'source',
    env: 'OUTBOX_SOURCE',
    parse: oneOf(OUTBOX_SOURCES),
    fallback: 'table',
    description:
      "Where events come from: 'table' (rows inserted into OUTBOX_TABLE), 'messages' (pg_logical_emit_message with OUTBOX_MESSAGE_PREFIX; no table) or 'both'",
  }),
  option({
    key: 'messagePrefix',
    env: 'OUTBOX_MESSAGE_PREFIX',
    parse: nonEmpty,
    fallback: DEFAULT_MESSAGE_PREFIX,
    description: 'Prefix of the transactional WAL messages that are events (docs/message-envelope.md)',
  }),
  option({
    key: 'slot',
    env: 'OUTBOX_SLOT',
    parse: sqlName,
    fallback: 'outbox_relay',
    description: 'Logical replication slot (pgoutput)',
  }),
  option({
    key: 'failoverSlot',
    env: 'OUTBOX_FAILOVER_SLOT',
    parse: boolean,
    fallback: true,
    description:
      'On PostgreSQL 17+, `init` makes the slot a failover slot, which standbys with sync_replication_slots=on keep in sync (docs/production.md: failover)',
  }),
  option({
    key: 'publication',
    env: 'OUTBOX_PUBLICATION',
    parse: sqlName,
    fallback: 'outbox_relay',
    description: 'Publication of the outbox table (inserts only)',
  }),
  option({
    key: 'idColumn',
    env: 'OUTBOX_COLUMN_ID',
    parse: columnName,
    fallback: 'id',
    description: 'Column with the event id (sent as a header)',
  }),
  option({
    key: 'aggregateTypeColumn',
    env: 'OUTBOX_COLUMN_AGGREGATE_TYPE',
    parse: columnName,
    fallback: 'aggregate_type',
    description: 'Column with the aggregate type (used by the default topic template)',
  }),
  option({
    key: 'aggregateIdColumn',
    env: 'OUTBOX_COLUMN_AGGREGATE_ID',
    parse: columnName,
    fallback: 'aggregate_id',
    description: "Column with the aggregate id: the record key, so one aggregate's events share a partition",
  }),
  option({
    key: 'eventTypeColumn',
    env: 'OUTBOX_COLUMN_EVENT_TYPE',
    parse: optionalColumnName,
    fallback: 'event_type',
    description: 'Column with the event type; empty for none',
  }),
  option({
    key: 'payloadColumn',
    env: 'OUTBOX_COLUMN_PAYLOAD',
    parse: columnName,
    fallback: 'payload',
    description: 'Column with the event payload: the record value',
  }),
  option({
    key: 'headersColumn',
    env: 'OUTBOX_COLUMN_HEADERS',
    parse: optionalColumnName,
    fallback: 'headers',
    description: 'jsonb column whose keys become record headers; empty for none',
  }),
  option({
    key: 'timestampColumn',
    env: 'OUTBOX_COLUMN_TIMESTAMP',
    parse: optionalColumnName,
    fallback: 'created_at',
    description:
      'timestamptz (or UTC timestamp) column used as the record timestamp; empty to use the commit time',
  }),
  option({
    key: 'topicTemplate',
    env: 'OUTBOX_TOPIC_TEMPLATE',
    parse: nonEmpty,
    fallback: 'outbox.event.{aggregate_type}',
    description: 'Topic per record; {column} is replaced by that column of the row',
  }),
  option({
    key: 'valueEncoding',
    env: 'OUTBOX_VALUE_ENCODING',
    parse: oneOf(VALUE_ENCODINGS),
    fallback: 'json-text',
    description:
      "'json-text' (the payload as stored; bytea as raw bytes), 'json-string' (as a JSON string, Connect's JsonConverter), 'json-envelope' (the same with JsonConverter's schema), 'json-expanded' / 'json-expanded-envelope' (re-serialized as Debezium's table.expand.json.payload=true) or 'avro' (Confluent wire format; needs OUTBOX_SCHEMA_REGISTRY_URL)",
  }),
  option({
    key: 'keyEncoding',
    env: 'OUTBOX_KEY_ENCODING',
    parse: oneOf(FIELD_ENCODINGS),
    fallback: 'string',
    description:
      "The record key: 'string' (the column's text), 'json' (a JSON value, as JsonConverter: \"o-1001\") or 'json-envelope' (with JsonConverter's schema); the key's bytes pick the partition",
  }),
  option({
    key: 'headerEncoding',
    env: 'OUTBOX_HEADER_ENCODING',
    parse: oneOf(FIELD_ENCODINGS),
    fallback: 'string',
    description:
      "Headers from columns (event id, event type, placements): 'string' (a NULL column sends no header), 'json' (NULL as null) or 'json-envelope'",
  }),
  option({
    key: 'tombstoneOnEmptyPayload',
    env: 'OUTBOX_TOMBSTONE_ON_EMPTY_PAYLOAD',
    parse: boolean,
    fallback: false,
    description:
      "A NULL or blank payload is sent as a Kafka null (a tombstone) whatever the value encoding (Debezium's route.tombstone.on.empty.payload); off: json-text sends NULL as a Kafka null, the JSON encodings as null",
  }),
  option({
    key: 'recordTimestamp',
    env: 'OUTBOX_RECORD_TIMESTAMP',
    parse: oneOf(RECORD_TIMESTAMPS),
    fallback: 'source',
    description:
      "The record timestamp: 'source' (OUTBOX_COLUMN_TIMESTAMP, else the commit time) or 'send' (when the record is sent, as Debezium Server)",
  }),
  option({
    key: 'partitionPlacement',
    env: 'OUTBOX_PARTITION_PLACEMENT',
    parse: boolean,
    fallback: true,
    description:
      'Whether a column:partition placement picks the partition (as Kafka Connect does); off: the key does, as in Debezium Server',
  }),
  option({
    key: 'schemaRegistryUrl',
    env: 'OUTBOX_SCHEMA_REGISTRY_URL',
    parse: httpUrl,
    fallback: '',
    secret: 'credentials-in-url',
    description: 'Confluent-compatible Schema Registry (http[s]://host:port[/path]); required for avro',
  }),
  option({
    key: 'schemaRegistryUsername',
    env: 'OUTBOX_SCHEMA_REGISTRY_USERNAME',
    parse: text,
    fallback: '',
    description: 'Schema Registry basic-auth user (an API key on Confluent Cloud); empty for none',
  }),
  option({
    key: 'schemaRegistryPassword',
    env: 'OUTBOX_SCHEMA_REGISTRY_PASSWORD',
    parse: text,
    fallback: '',
    secret: 'value',
    description: 'Schema Registry basic-auth password (never logged)',
  }),
  option({
    key: 'avroSchemasDir',
    env: 'OUTBOX_AVRO_SCHEMAS_DIR',
    parse: text,
    fallback: '',
    description:
      "Directory of <event_type>.avsc files, one record schema per event type; empty: use each subject's latest version in the registry",
  }),
  option({
    key: 'avroSubjectStrategy',
    env: 'OUTBOX_AVRO_SUBJECT_STRATEGY',
    parse: oneOf(SUBJECT_STRATEGIES),
    fallback: 'topic',
    description:
      "Subject of a record's schema: 'topic' (<topic>-value) or 'record' (the record's full name; without a schema directory, the event type)",
  }),
  option({
    key: 'avroRegister',
    env: 'OUTBOX_AVRO_REGISTER',
    parse: boolean,
    fallback: false,
    description:
      "Register the directory's schemas (also `run --register`); off: they must be registered already",
  }),
  option({
    key: 'eventIdHeader',
    env: 'OUTBOX_HEADER_EVENT_ID',
    parse: text,
    fallback: 'id',
    description: 'Header that carries the event id; empty for none',
  }),
  option({
    key: 'eventTypeHeader',
    env: 'OUTBOX_HEADER_EVENT_TYPE',
    parse: text,
    fallback: 'event_type',
    description: 'Header that carries the event type; empty for none',
  }),
  option({
    key: 'additionalPlacement',
    env: 'OUTBOX_ADDITIONAL_PLACEMENT',
    parse: text,
    fallback: '',
    description: "Extra columns, Debezium's form: column:header[:alias] or column:partition, comma-separated",
  }),
  option({
    key: 'onPoison',
    env: 'OUTBOX_ON_POISON',
    parse: oneOf(POISON_POLICIES),
    fallback: 'dlq',
    description:
      "An event that cannot be published (null key, bad topic, too large): 'dlq' sends the raw row to the dead-letter topic and goes on, 'stop' stops the relay",
  }),
  option({
    key: 'dlqTopic',
    env: 'OUTBOX_DLQ_TOPIC',
    parse: nonEmpty,
    fallback: 'outbox.dlq',
    description: 'Dead-letter topic; headers name the error, the original topic, the LSN and the xid',
  }),
  option({
    key: 'maxRecordBytes',
    env: 'OUTBOX_MAX_RECORD_BYTES',
    parse: integer(1024, 256 * MiB),
    fallback: 1_000_000,
    description:
      "Largest record published; keep it under the broker's message.max.bytes (1048588 by default)",
  }),
  option({
    key: 'leaderPollMs',
    env: 'OUTBOX_LEADER_POLL_MS',
    parse: integer(100, 60_000),
    fallback: 1_000,
    description: "Milliseconds between a standby relay's attempts to take the slot's leader lock",
  }),
  option({
    key: 'batchMaxEvents',
    env: 'OUTBOX_BATCH_MAX_EVENTS',
    parse: integer(1, 1_000_000),
    fallback: 10_000,
    description: 'Most events in one Kafka sendBatch',
  }),
  option({
    key: 'batchMaxBytes',
    env: 'OUTBOX_BATCH_MAX_BYTES',
    parse: integer(1024, 256 * MiB),
    fallback: 1_000_000,
    description:
      "Most bytes in one sendBatch; keep it under the broker's message.max.bytes, as one partition may get all",
  }),
  option({
    key: 'batchLingerMs',
    env: 'OUTBOX_BATCH_LINGER_MS',
    parse: integer(0, 60_000),
    fallback: 5,
    description: 'Milliseconds to wait for more events before sending a batch that is not full',
  }),
  option({
    key: 'maxInflightEvents',
    env: 'OUTBOX_MAX_INFLIGHT_EVENTS',
    parse: integer(1, 10_000_000),
    fallback: 20_000,
    description: 'Received but unacknowledged events at which the relay stops reading the WAL',
  }),
  option({
    key: 'maxInflightBytes',
    env: 'OUTBOX_MAX_INFLIGHT_BYTES',
    parse: integer(64 * 1024, 4096 * MiB),
    fallback: 16 * MiB,
    description: 'Received but unacknowledged bytes at which the relay stops reading the WAL',
  }),
  option({
    key: 'statusIntervalMs',
    env: 'OUTBOX_STATUS_INTERVAL_MS',
    parse: integer(100, 30_000),
    fallback: 1_000,
    description: 'Milliseconds between status updates to the server (keep well under wal_sender_timeout)',
  }),
  option({
    key: 'drainTimeoutMs',
    env: 'OUTBOX_DRAIN_TIMEOUT_MS',
    parse: integer(0, 600_000),
    fallback: 30_000,
    description: 'On SIGTERM, milliseconds to wait for in-flight events to be acknowledged',
  }),
  option({
    key: 'retryMaxMs',
    env: 'OUTBOX_RETRY_MAX_MS',
    parse: integer(100, 600_000),
    fallback: 30_000,
    description: 'Cap of the exponential backoff (full jitter) between retries',
  }),
  option({
    key: 'retentionMs',
    env: 'OUTBOX_RETENTION',
    parse: duration,
    fallback: 0,
    description:
      "Delete outbox rows older than this (e.g. 7d), only once the slot has confirmed them; 'off' keeps every row (docs/production.md: retention)",
  }),
  option({
    key: 'retentionBatchRows',
    env: 'OUTBOX_RETENTION_BATCH_ROWS',
    parse: integer(1, 1_000_000),
    fallback: 1_000,
    description: 'Rows deleted per statement by retention; the relay pauses between statements',
  }),
  option({
    key: 'retentionIntervalMs',
    env: 'OUTBOX_RETENTION_INTERVAL_MS',
    parse: integer(100, 86_400_000),
    fallback: 60_000,
    description: 'Milliseconds between retention rounds',
  }),
  option({
    key: 'partitionPeriodMs',
    env: 'OUTBOX_PARTITION_PERIOD',
    parse: duration,
    fallback: 86_400_000,
    description:
      'A partitioned outbox (init --create-table --partitioned): the time each partition covers; the leader relay keeps three ahead',
  }),
  option({
    key: 'kafkaClient',
    env: 'OUTBOX_KAFKA_CLIENT',
    parse: oneOf(KAFKA_CLIENTS),
    fallback: 'librdkafka',
    description:
      "Kafka client: 'librdkafka' (@confluentinc/kafka-javascript, native, an optional dependency) or 'kafkajs' (pure JavaScript)",
  }),
  option({
    key: 'delivery',
    env: 'OUTBOX_DELIVERY',
    parse: oneOf(DELIVERY_GUARANTEES),
    fallback: 'at-least-once',
    description:
      "'at-least-once' (a crash may resend) or 'exactly-once' (Kafka transactions with a checkpoint: read_committed consumers see each event once; docs/exactly-once.md)",
  }),
  option({
    key: 'checkpointTopic',
    env: 'OUTBOX_CHECKPOINT_TOPIC',
    parse: nonEmpty,
    fallback: 'outbox.checkpoints',
    description:
      'Exactly-once: the compacted topic of checkpoint records, committed in each Kafka transaction; created if missing',
  }),
  option({
    key: 'transactionalId',
    env: 'OUTBOX_TRANSACTIONAL_ID',
    parse: text,
    fallback: '',
    description:
      'Exactly-once: the Kafka transactional.id; empty for outbox-relay.<slot>. Keep it stable: it fences an earlier relay of the slot',
  }),
  option({
    key: 'kafkaClientId',
    env: 'OUTBOX_KAFKA_CLIENT_ID',
    parse: nonEmpty,
    fallback: 'outbox-relay',
    description: 'Kafka client id',
  }),
  option({
    key: 'kafkaSsl',
    env: 'OUTBOX_KAFKA_SSL',
    parse: boolean,
    fallback: false,
    description: 'Connect to Kafka over TLS',
  }),
  option({
    key: 'kafkaSslCaFile',
    env: 'OUTBOX_KAFKA_SSL_CA_FILE',
    parse: pemFile('CERTIFICATE'),
    fallback: '',
    description:
      "PEM file of the CA certificates that sign the brokers' certificates (empty: the system's CAs)",
  }),
  option({
    key: 'kafkaSslCertFile',
    env: 'OUTBOX_KAFKA_SSL_CERT_FILE',
    parse: pemFile('CERTIFICATE'),
    fallback: '',
    description: "PEM file of the relay's client certificate, for brokers that require one (mutual TLS)",
  }),
  option({
    key: 'kafkaSslKeyFile',
    env: 'OUTBOX_KAFKA_SSL_KEY_FILE',
    parse: pemFile('PRIVATE KEY'),
    fallback: '',
    description: "PEM file of the client certificate's private key",
  }),
  option({
    key: 'kafkaSslKeyPassword',
    env: 'OUTBOX_KAFKA_SSL_KEY_PASSWORD',
    parse: text,
    fallback: '',
    secret: 'value',
    description: 'Password of an encrypted OUTBOX_KAFKA_SSL_KEY_FILE (never logged)',
  }),
  option({
    key: 'kafkaSaslMechanism',
    env: 'OUTBOX_KAFKA_SASL_MECHANISM',
    parse: oneOf(SASL_MECHANISMS),
    fallback: 'none',
    description: 'SASL mechanism: none, plain, scram-sha-256 or scram-sha-512',
  }),
  option({
    key: 'kafkaSaslUsername',
    env: 'OUTBOX_KAFKA_SASL_USERNAME',
    parse: text,
    fallback: '',
    description: 'SASL user name',
  }),
  option({
    key: 'kafkaSaslPassword',
    env: 'OUTBOX_KAFKA_SASL_PASSWORD',
    parse: text,
    fallback: '',
    secret: 'value',
    description: 'SASL password (never logged)',
  }),
  option({
    key: 'kafkaCompression',
    env: 'OUTBOX_KAFKA_COMPRESSION',
    parse: oneOf(COMPRESSIONS),
    fallback: 'none',
    description: 'Record batch compression: none or gzip',
  }),
  option({
    key: 'logLevel',
    env: 'OUTBOX_LOG_LEVEL',
    parse: oneOf(LOG_LEVELS),
    fallback: 'info',
    description: 'fatal, error, warn, info, debug, trace or silent',
  }),
  option({
    key: 'logPretty',
    env: 'OUTBOX_LOG_PRETTY',
    parse: boolean,
    fallback: false,
    description: 'Human-readable logs instead of JSON lines',
  }),
  option({
    key: 'metricsPort',
    env: 'OUTBOX_METRICS_PORT',
    parse: integer(0, 65_535),
    fallback: 9464,
    description: 'Port of /metrics, /healthz, /readyz and /status; 0 turns the HTTP server off',
  }),
  option({
    key: 'metricsHost',
    env: 'OUTBOX_METRICS_HOST',
    parse: nonEmpty,
    fallback: '127.0.0.1',
    description:
      'Address the HTTP server listens on: this host only by default, as /status answers anyone (0.0.0.0: every interface; the container image sets it)',
  }),
];
