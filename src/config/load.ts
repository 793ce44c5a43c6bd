import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { OPTIONS, type OptionSpec } from './options.js';
import { PRESET_DEFAULTS } from './presets.js';
import type { Preset, RelayConfig } from './relay-config.js';

/** Environment variables read outside the option table. */
export const CONFIG_FILE_ENV = 'OUTBOX_CONFIG_FILE';

export interface ConfigSources {
  readonly env: NodeJS.ProcessEnv;
  /** Path of a JSON file whose keys are the option keys (e.g. "kafkaBrokers"). */
  readonly file?: string | undefined;
}

/**
 * Resolves the configuration once: defaults, then the preset, then the file, then the
 * environment. Every problem is reported at once, each naming its variable and form.
 */
export function loadConfig(sources: ConfigSources): RelayConfig {
  const filePath = sources.file ?? sources.env[CONFIG_FILE_ENV];
  const file = filePath ? readConfigFile(filePath) : {};
  const problems: ConfigError[] = [...unknownSettings(sources.env, file, filePath)];
  const raw = (spec: OptionSpec): { text: string; field: string } | undefined => {
    const fromEnv = sources.env[spec.env];
    if (fromEnv !== undefined) return { text: fromEnv, field: spec.env };
    const fromFile = file[spec.key];
    if (fromFile === undefined) return undefined;
    const text = Array.isArray(fromFile) ? fromFile.join(',') : String(fromFile);
    return { text, field: `${filePath}: ${spec.key}` };
  };

  const resolved: Record<string, unknown> = {};
  let preset: Preset = 'default';
  for (const spec of OPTIONS) {
    try {
      const given = raw(spec);
      const value = given
        ? spec.parse(given.text, given.field)
        : (PRESET_DEFAULTS[preset][spec.key] ?? spec.fallback);
      if (value === undefined) throw new ConfigError(spec.env, `is required: ${spec.description}`);
      resolved[spec.key] = value;
      if (spec.key === 'preset') preset = value as Preset;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error);
    }
  }
  if (problems.length === 0) problems.push(...crossFieldProblems(resolved as unknown as RelayConfig));
  if (problems.length > 0) throw combine(problems);
  return resolved as unknown as RelayConfig;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      CONFIG_FILE_ENV,
      `cannot read the config file "${path}": ${(error as Error).message}`,
    );
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(path, `expected a JSON object of settings: ${(error as Error).message}`);
  }
}

function unknownSettings(
  env: NodeJS.ProcessEnv,
  file: Record<string, unknown>,
  filePath?: string,
): ConfigError[] {
  const knownEnv = new Set([CONFIG_FILE_ENV, ...OPTIONS.map((spec) => spec.env)]);
  const knownKeys = new Set(OPTIONS.map((spec) => spec.key as string));
  const fromEnv = Object.keys(env)
    .filter((name) => name.startsWith('OUTBOX_') && !knownEnv.has(name))
    .map((name) => new ConfigError(name, 'is not a known setting; see `outbox-relay --help`'));
  const fromFile = Object.keys(file)
    .filter((key) => !knownKeys.has(key))
    .map(
      (key) => new ConfigError(`${filePath}: ${key}`, 'is not a known setting; see `outbox-relay --help`'),
    );
  return [...fromEnv, ...fromFile];
}

function crossFieldProblems(config: RelayConfig): ConfigError[] {
  const problems: ConfigError[] = [];
  if (config.kafkaSaslMechanism !== 'none' && (!config.kafkaSaslUsername || !config.kafkaSaslPassword)) {
    problems.push(
      new ConfigError(
        'OUTBOX_KAFKA_SASL_USERNAME',
        `SASL mechanism ${config.kafkaSaslMechanism} needs OUTBOX_KAFKA_SASL_USERNAME and OUTBOX_KAFKA_SASL_PASSWORD`,
      ),
    );
  }
  problems.push(...kafkaTlsProblems(config));
  if (config.batchMaxBytes > config.maxInflightBytes) {
    problems.push(
      new ConfigError(
        'OUTBOX_BATCH_MAX_BYTES',
        'must not exceed OUTBOX_MAX_INFLIGHT_BYTES (a batch must fit in flight)',
      ),
    );
  }
  problems.push(...avroProblems(config));
  if (config.retentionMs > 0 && (config.timestampColumn === '' || config.source === 'messages')) {
    problems.push(
      new ConfigError(
        'OUTBOX_RETENTION',
        config.source === 'messages'
          ? 'has no rows to delete with OUTBOX_SOURCE=messages (messages live only in the WAL)'
          : "needs OUTBOX_COLUMN_TIMESTAMP: a row's age is its timestamp column",
      ),
    );
  }
  if (config.partitionPeriodMs < 60_000) {
    problems.push(new ConfigError('OUTBOX_PARTITION_PERIOD', 'must be at least 1m'));
  }
  if (!/\{[^}]+\}/.test(config.topicTemplate) && /[{}]/.test(config.topicTemplate)) {
    problems.push(new ConfigError('OUTBOX_TOPIC_TEMPLATE', 'has an unbalanced { or }; use {column_name}'));
  }
  return problems;
}

function kafkaTlsProblems(config: RelayConfig): ConfigError[] {
  const problems: ConfigError[] = [];
  const files = {
    OUTBOX_KAFKA_SSL_CA_FILE: config.kafkaSslCaFile,
    OUTBOX_KAFKA_SSL_CERT_FILE: config.kafkaSslCertFile,
    OUTBOX_KAFKA_SSL_KEY_FILE: config.kafkaSslKeyFile,
  };
  for (const [name, value] of Object.entries(files)) {
    if (value && !config.kafkaSsl) {
      problems.push(new ConfigError(name, 'is set but OUTBOX_KAFKA_SSL is false; set OUTBOX_KAFKA_SSL=true'));
    }
  }
  if (Boolean(config.kafkaSslCertFile) !== Boolean(config.kafkaSslKeyFile)) {
    problems.push(
      new ConfigError(
        'OUTBOX_KAFKA_SSL_CERT_FILE',
        'mutual TLS needs both OUTBOX_KAFKA_SSL_CERT_FILE and OUTBOX_KAFKA_SSL_KEY_FILE',
      ),
    );
  }
  if (config.kafkaSslKeyPassword && !config.kafkaSslKeyFile) {
    problems.push(
      new ConfigError('OUTBOX_KAFKA_SSL_KEY_PASSWORD', 'is set without OUTBOX_KAFKA_SSL_KEY_FILE'),
    );
  }
  return problems;
}

function avroProblems(config: RelayConfig): ConfigError[] {
  const problems: ConfigError[] = [];
  if (config.valueEncoding === 'avro' && !config.schemaRegistryUrl) {
    problems.push(
      new ConfigError('OUTBOX_SCHEMA_REGISTRY_URL', 'is required with OUTBOX_VALUE_ENCODING=avro'),
    );
  }
  if (Boolean(config.schemaRegistryUsername) !== Boolean(config.schemaRegistryPassword)) {
    problems.push(
      new ConfigError(
        'OUTBOX_SCHEMA_REGISTRY_USERNAME',
        'basic auth needs both OUTBOX_SCHEMA_REGISTRY_USERNAME and OUTBOX_SCHEMA_REGISTRY_PASSWORD',
      ),
    );
  }
  if (config.avroRegister && !config.avroSchemasDir) {
    problems.push(
      new ConfigError(
        'OUTBOX_AVRO_REGISTER',
        'registers the schemas of OUTBOX_AVRO_SCHEMAS_DIR, which is not set; set it, or turn registering off',
      ),
    );
  }
  const needsEventType =
    config.valueEncoding === 'avro' &&
    (config.avroSchemasDir !== '' || config.avroSubjectStrategy === 'record');
  if (needsEventType && !config.eventTypeColumn) {
    problems.push(
      new ConfigError(
        'OUTBOX_COLUMN_EVENT_TYPE',
        'is empty, but Avro schemas are chosen by event type here; name the event type column',
      ),
    );
  }
  return problems;
}

function combine(problems: ConfigError[]): ConfigError {
  if (problems.length === 1 && problems[0]) return problems[0];
  const error = new ConfigError(
    'configuration',
    `${problems.length} problems:\n  - ${problems.map((p) => p.message).join('\n  - ')}`,
  );
  return error;
}
