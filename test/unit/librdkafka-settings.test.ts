import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { librdkafkaSettings } from '../../src/sinks/kafka/librdkafka/settings.js';

const base = { DATABASE_URL: 'postgres://u:p@db/app', KAFKA_BROKERS: 'k1:9092,k2:9092' };
const settings = (env: Record<string, string> = {}) =>
  librdkafkaSettings(loadConfig({ env: { ...base, ...env } }));

describe('librdkafka producer settings', () => {
  it('keep each partition in order without gaps: idempotent, gapless, acks=all, no record ever times out', () => {
    const { global, topic } = settings();
    expect(global['enable.idempotence']).toBe(true);
    expect(global['enable.gapless.guarantee']).toBe(true);
    expect(global['max.in.flight.requests.per.connection']).toBeLessThanOrEqual(5);
    expect(topic.acks).toBe(-1);
    expect(topic['message.timeout.ms']).toBe(0);
    expect(global['bootstrap.servers']).toBe('k1:9092,k2:9092');
  });

  it("use Java's murmur2 partitioner, where Debezium and kafkajs put each key", () => {
    expect(settings().topic.partitioner).toBe('murmur2_random');
  });

  it('follow the batch settings, and let only the relay decide what is too large', () => {
    const { global } = settings({
      OUTBOX_BATCH_LINGER_MS: '7',
      OUTBOX_BATCH_MAX_EVENTS: '500',
      OUTBOX_BATCH_MAX_BYTES: '200000',
      OUTBOX_MAX_RECORD_BYTES: '2000000',
      OUTBOX_MAX_INFLIGHT_EVENTS: '300000',
    });
    expect(global['linger.ms']).toBe(7);
    expect(global['batch.num.messages']).toBe(500);
    expect(global['batch.size']).toBe(200_000);
    expect(global['message.max.bytes']).toBeGreaterThan(2_000_000);
    // The relay's in-flight bound stops reading long before librdkafka's queue could refuse.
    expect(global['queue.buffering.max.messages']).toBeGreaterThanOrEqual(300_000);
  });

  it('map TLS and SASL settings to librdkafka’s', () => {
    expect(settings().global['security.protocol']).toBe('plaintext');
    expect(settings({ OUTBOX_KAFKA_SSL: 'true' }).global['security.protocol']).toBe('ssl');
    const sasl = settings({
      OUTBOX_KAFKA_SSL: 'true',
      OUTBOX_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      OUTBOX_KAFKA_SASL_USERNAME: 'relay',
      OUTBOX_KAFKA_SASL_PASSWORD: 's3cret',
    }).global;
    expect(sasl['security.protocol']).toBe('sasl_ssl');
    expect(sasl['sasl.mechanisms']).toBe('SCRAM-SHA-512');
    expect(sasl['sasl.username']).toBe('relay');
    expect(sasl['sasl.password']).toBe('s3cret');
    const dir = mkdtempSync(join(tmpdir(), 'outbox-tls-'));
    const [ca, key] = ['CERTIFICATE', 'PRIVATE KEY'].map((block, index) => {
      const file = join(dir, `file${index}.pem`);
      writeFileSync(file, `-----BEGIN ${block}-----\nTUlJQg==\n-----END ${block}-----\n`);
      return file;
    });
    const mutual = settings({
      OUTBOX_KAFKA_SSL: 'true',
      OUTBOX_KAFKA_SSL_CA_FILE: ca ?? '',
      OUTBOX_KAFKA_SSL_CERT_FILE: ca ?? '',
      OUTBOX_KAFKA_SSL_KEY_FILE: key ?? '',
      OUTBOX_KAFKA_SSL_KEY_PASSWORD: 'k3y',
    }).global;
    expect(mutual['security.protocol']).toBe('ssl');
    expect(mutual['ssl.ca.location']).toBe(ca);
    expect(mutual['ssl.certificate.location']).toBe(ca);
    expect(mutual['ssl.key.location']).toBe(key);
    expect(mutual['ssl.key.password']).toBe('k3y');
    expect(settings({ OUTBOX_KAFKA_SSL: 'true' }).global['ssl.ca.location']).toBeUndefined();
  });
});
