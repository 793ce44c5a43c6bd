import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { optionsHelp } from '../../src/config/help.js';
import { loadConfig } from '../../src/config/load.js';
import { OPTIONS } from '../../src/config/options.js';
import { redactConfig } from '../../src/config/redact.js';
import { ConfigError } from '../../src/errors.js';
import { transactionalIdOf } from '../../src/sinks/kafka/transactional-id.js';

const env = { DATABASE_URL: 'postgres://relay:s3cret@db:5432/app', KAFKA_BROKERS: 'k1:9092,k2:9092' };

describe('transactionalIdOf', () => {
  it('derives a transactional id per server, database and slot unless OUTBOX_TRANSACTIONAL_ID is set', () => {
    const stream = { systemId: '7312291854281583419', database: 'app', slot: 'outbox_relay' };
    expect(transactionalIdOf(loadConfig({ env }), stream)).toBe(
      'outbox-relay.7312291854281583419.app.outbox_relay',
    );
    expect(transactionalIdOf(loadConfig({ env }), { ...stream, systemId: '7312291854281583420' })).not.toBe(
      transactionalIdOf(loadConfig({ env }), stream),
    );
    const explicit = loadConfig({ env: { ...env, OUTBOX_TRANSACTIONAL_ID: 'outbox-relay.outbox_relay' } });
    expect(transactionalIdOf(explicit, stream)).toBe('outbox-relay.outbox_relay');
  });
});

describe('loadConfig', () => {
  it('resolves every field with documented defaults', () => {
    const config = loadConfig({ env });
    expect(config.kafkaBrokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.table).toBe('public.outbox');
    expect(config.topicTemplate).toBe('outbox.event.{aggregate_type}');
    for (const spec of OPTIONS) expect(config[spec.key], spec.env).not.toBeUndefined();
  });

  it('names the variable and the expected form of a bad value', () => {
    expect(() => loadConfig({ env: { ...env, OUTBOX_BATCH_MAX_EVENTS: 'many' } })).toThrow(
      /OUTBOX_BATCH_MAX_EVENTS: expected a whole number from 1 to 1000000, got "many"/,
    );
    expect(() => loadConfig({ env: { ...env, KAFKA_BROKERS: 'localhost' } })).toThrow(
      /KAFKA_BROKERS: expected host:port/,
    );
    expect(() => loadConfig({ env: { ...env, DATABASE_URL: 'mysql://x@y/z' } })).toThrow(/postgres:\/\//);
    expect(() => loadConfig({ env: { ...env, OUTBOX_SLOT: 'My-Slot' } })).toThrow(/OUTBOX_SLOT/);
  });

  it('reports every missing required setting at once', () => {
    const attempt = () => loadConfig({ env: {} });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/DATABASE_URL: is required/);
    expect(attempt).toThrow(/KAFKA_BROKERS: is required/);
  });

  it('rejects unknown OUTBOX_ variables (typos)', () => {
    expect(() => loadConfig({ env: { ...env, OUTBOX_TABEL: 'x' } })).toThrow(
      /OUTBOX_TABEL: is not a known setting/,
    );
  });

  it('applies the debezium preset unless a setting overrides it', () => {
    expect(loadConfig({ env: { ...env, OUTBOX_PRESET: 'debezium' } }).aggregateIdColumn).toBe('aggregateid');
    expect(
      loadConfig({ env: { ...env, OUTBOX_PRESET: 'debezium', OUTBOX_COLUMN_AGGREGATE_ID: 'agg' } })
        .aggregateIdColumn,
    ).toBe('agg');
  });

  it("sets a Debezium migration profile's record format, which single settings override", () => {
    const profile = (preset: string, extra: Record<string, string> = {}) => {
      const config = loadConfig({ env: { ...env, OUTBOX_PRESET: preset, ...extra } });
      return [
        config.keyEncoding,
        config.valueEncoding,
        config.headerEncoding,
        config.recordTimestamp,
        config.partitionPlacement,
      ];
    };
    expect(profile('debezium')).toEqual(['string', 'json-text', 'string', 'source', true]);
    expect(profile('debezium-connect-string')).toEqual(['string', 'json-text', 'string', 'send', true]);
    expect(profile('debezium-connect-json')).toEqual([
      'json-envelope',
      'json-envelope',
      'string',
      'send',
      true,
    ]);
    expect(profile('debezium-server-json')).toEqual([
      'json-envelope',
      'json-envelope',
      'json-envelope',
      'send',
      false,
    ]);
    expect(profile('debezium-server-expanded')).toEqual(['json', 'json-expanded', 'json', 'send', false]);
    expect(profile('debezium-server-string', { OUTBOX_RECORD_TIMESTAMP: 'source' })).toEqual([
      'string',
      'json-text',
      'json-envelope',
      'source',
      false,
    ]);
    expect(loadConfig({ env: { ...env, OUTBOX_PRESET: 'debezium-server-json' } }).aggregateIdColumn).toBe(
      'aggregateid',
    );
    expect(() => loadConfig({ env: { ...env, OUTBOX_KEY_ENCODING: 'xml' } })).toThrow(
      /OUTBOX_KEY_ENCODING.*string, json, json-envelope/,
    );
  });

  it('reads a JSON file, with the environment taking precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-config-'));
    const file = join(dir, 'relay.json');
    writeFileSync(
      file,
      JSON.stringify({ slot: 'from_file', batchMaxEvents: 77, kafkaBrokers: ['a:1', 'b:2'] }),
    );
    const config = loadConfig({ env: { ...env, OUTBOX_SLOT: 'from_env', KAFKA_BROKERS: undefined }, file });
    expect(config.slot).toBe('from_env');
    expect(config.batchMaxEvents).toBe(77);
    expect(config.kafkaBrokers).toEqual(['a:1', 'b:2']);
    writeFileSync(file, JSON.stringify({ slto: 'x' }));
    expect(() => loadConfig({ env, file })).toThrow(/slto: is not a known setting/);
  });

  it('reads OUTBOX_TABLE as PostgreSQL does, quoted names keeping their case; column names as written', () => {
    const table = (value: string) => loadConfig({ env: { ...env, OUTBOX_TABLE: value } }).table;
    expect(table('outbox')).toBe('public.outbox');
    expect(table('App.OutBox')).toBe('app.outbox');
    expect(table('"App"."OutboxEvent"')).toBe('"App"."OutboxEvent"');
    expect(table('app."Out Box"')).toBe('app."Out Box"');
    expect(() => table('a.b.c')).toThrow(/OUTBOX_TABLE: expected schema\.table.*"App"\."OutboxEvent"/);
    const config = loadConfig({
      env: { ...env, OUTBOX_COLUMN_AGGREGATE_ID: '"aggregateId"', OUTBOX_COLUMN_EVENT_TYPE: 'eventType' },
    });
    expect([config.aggregateIdColumn, config.eventTypeColumn]).toEqual(['aggregateId', 'eventType']);
  });

  it('reads OUTBOX_RETENTION as a duration, off by default, and only with rows that have a timestamp', () => {
    expect(loadConfig({ env }).retentionMs).toBe(0);
    expect(loadConfig({ env: { ...env, OUTBOX_RETENTION: '7d' } }).retentionMs).toBe(7 * 86_400_000);
    expect(loadConfig({ env: { ...env, OUTBOX_RETENTION: '90m' } }).retentionMs).toBe(90 * 60_000);
    expect(loadConfig({ env: { ...env, OUTBOX_RETENTION: 'off' } }).retentionMs).toBe(0);
    expect(() => loadConfig({ env: { ...env, OUTBOX_RETENTION: 'a week' } })).toThrow(
      /OUTBOX_RETENTION: expected a duration such as 7d/,
    );
    expect(() =>
      loadConfig({ env: { ...env, OUTBOX_RETENTION: '7d', OUTBOX_COLUMN_TIMESTAMP: '' } }),
    ).toThrow(/OUTBOX_RETENTION: needs OUTBOX_COLUMN_TIMESTAMP/);
    expect(() => loadConfig({ env: { ...env, OUTBOX_RETENTION: '7d', OUTBOX_SOURCE: 'messages' } })).toThrow(
      /OUTBOX_RETENTION: has no rows to delete with OUTBOX_SOURCE=messages/,
    );
  });

  it('requires SASL credentials together with a mechanism', () => {
    expect(() => loadConfig({ env: { ...env, OUTBOX_KAFKA_SASL_MECHANISM: 'plain' } })).toThrow(/SASL/);
  });
});

describe('Kafka TLS settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-tls-'));
  const pem = (name: string, block: string) => {
    const file = join(dir, name);
    writeFileSync(file, `-----BEGIN ${block}-----\nTUlJQg==\n-----END ${block}-----\n`);
    return file;
  };
  const ca = pem('ca.crt', 'CERTIFICATE');
  const key = pem('relay.key', 'ENCRYPTED PRIVATE KEY');
  const tls = { ...env, OUTBOX_KAFKA_SSL: 'true' };

  it('takes a CA file, and a client certificate with its key and password', () => {
    const config = loadConfig({
      env: {
        ...tls,
        OUTBOX_KAFKA_SSL_CA_FILE: ca,
        OUTBOX_KAFKA_SSL_CERT_FILE: ca,
        OUTBOX_KAFKA_SSL_KEY_FILE: key,
        OUTBOX_KAFKA_SSL_KEY_PASSWORD: 'k3y-pass',
      },
    });
    expect([config.kafkaSslCaFile, config.kafkaSslKeyFile, config.kafkaSslKeyPassword]).toEqual([
      ca,
      key,
      'k3y-pass',
    ]);
    expect(JSON.stringify(redactConfig(config))).not.toContain('k3y-pass');
  });

  it('names the setting of a missing file, or of a file holding the wrong kind of PEM block', () => {
    expect(() => loadConfig({ env: { ...tls, OUTBOX_KAFKA_SSL_CA_FILE: join(dir, 'none.crt') } })).toThrow(
      /OUTBOX_KAFKA_SSL_CA_FILE: cannot read .*none\.crt: ENOENT/,
    );
    expect(() => loadConfig({ env: { ...tls, OUTBOX_KAFKA_SSL_CA_FILE: key } })).toThrow(
      /OUTBOX_KAFKA_SSL_CA_FILE: .*relay\.key holds no PEM CERTIFICATE block/,
    );
    expect(() =>
      loadConfig({ env: { ...tls, OUTBOX_KAFKA_SSL_CERT_FILE: ca, OUTBOX_KAFKA_SSL_KEY_FILE: ca } }),
    ).toThrow(/OUTBOX_KAFKA_SSL_KEY_FILE: .*holds no PEM PRIVATE KEY block/);
  });

  it('refuses files without TLS, a certificate without its key, and a key password without a key', () => {
    expect(() => loadConfig({ env: { ...env, OUTBOX_KAFKA_SSL_CA_FILE: ca } })).toThrow(
      /OUTBOX_KAFKA_SSL_CA_FILE: is set but OUTBOX_KAFKA_SSL is false/,
    );
    expect(() => loadConfig({ env: { ...tls, OUTBOX_KAFKA_SSL_CERT_FILE: ca } })).toThrow(
      /needs both OUTBOX_KAFKA_SSL_CERT_FILE and OUTBOX_KAFKA_SSL_KEY_FILE/,
    );
    expect(() => loadConfig({ env: { ...tls, OUTBOX_KAFKA_SSL_KEY_PASSWORD: 'x' } })).toThrow(
      /OUTBOX_KAFKA_SSL_KEY_PASSWORD: is set without OUTBOX_KAFKA_SSL_KEY_FILE/,
    );
  });
});

describe('Avro settings', () => {
  const avro = { ...env, OUTBOX_VALUE_ENCODING: 'avro' };

  it('needs a registry URL, and checks its form', () => {
    expect(() => loadConfig({ env: avro })).toThrow(
      /OUTBOX_SCHEMA_REGISTRY_URL: is required with OUTBOX_VALUE_ENCODING=avro/,
    );
    expect(() => loadConfig({ env: { ...avro, OUTBOX_SCHEMA_REGISTRY_URL: 'registry:8081' } })).toThrow(
      /OUTBOX_SCHEMA_REGISTRY_URL: expected an http:\/\/ or https:\/\/ URL/,
    );
    const config = loadConfig({ env: { ...avro, OUTBOX_SCHEMA_REGISTRY_URL: 'http://registry:8081/' } });
    expect(config.schemaRegistryUrl).toBe('http://registry:8081');
    expect(config.avroSubjectStrategy).toBe('topic');
    expect(config.avroRegister).toBe(false);
  });

  it('reports basic auth without a password, registering without schemas, and schemas without event types', () => {
    const attempt = () =>
      loadConfig({
        env: {
          ...avro,
          OUTBOX_SCHEMA_REGISTRY_URL: 'http://registry:8081',
          OUTBOX_SCHEMA_REGISTRY_USERNAME: 'relay',
          OUTBOX_AVRO_REGISTER: 'true',
          OUTBOX_AVRO_SUBJECT_STRATEGY: 'record',
          OUTBOX_COLUMN_EVENT_TYPE: '',
        },
      });
    expect(attempt).toThrow(/3 problems/);
    expect(attempt).toThrow(/needs both OUTBOX_SCHEMA_REGISTRY_USERNAME and OUTBOX_SCHEMA_REGISTRY_PASSWORD/);
    expect(attempt).toThrow(
      /OUTBOX_AVRO_REGISTER: registers the schemas of OUTBOX_AVRO_SCHEMAS_DIR, which is not set/,
    );
    expect(attempt).toThrow(/OUTBOX_COLUMN_EVENT_TYPE: is empty, but Avro schemas are chosen by event type/);
  });

  it('takes `run --register` as OUTBOX_AVRO_REGISTER=true', () => {
    expect(parseArgs(['run', '--register']).register).toBe(true);
    expect(parseArgs(['run']).register).toBe(false);
  });
});

describe('redaction and help', () => {
  it('never shows the database password or the SASL password', () => {
    const config = loadConfig({
      env: {
        ...env,
        OUTBOX_KAFKA_SASL_MECHANISM: 'plain',
        OUTBOX_KAFKA_SASL_USERNAME: 'u',
        OUTBOX_KAFKA_SASL_PASSWORD: 'hunter2',
      },
    });
    const text = JSON.stringify(redactConfig(config));
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('relay:[redacted]@db');
  });

  it('documents every variable with its default in --help', () => {
    const help = optionsHelp();
    for (const spec of OPTIONS) expect(help).toContain(spec.env);
    expect(help).toContain(
      '[default: outbox.event.{aggregate_type}; debezium preset: outbox.event.{aggregatetype}]',
    );
  });
});
