import type { ProducerGlobalConfig, ProducerTopicConfig } from '@confluentinc/kafka-javascript';
import type { RelayConfig } from '../../../config/relay-config.js';
import { TRANSACTION_TIMEOUT_MS } from './transactions.js';

/** Room above OUTBOX_MAX_RECORD_BYTES for librdkafka's own framing of one record. */
const RECORD_FRAMING_BYTES = 64 * 1024;

export interface LibrdkafkaSettings {
  readonly global: ProducerGlobalConfig;
  readonly topic: ProducerTopicConfig;
}

/**
 * The producer settings that keep the brief's ordering rule with librdkafka. Idempotence keeps
 * each partition in order with up to 5 requests in flight; the gapless guarantee turns anything
 * that could leave a gap (which a later resend would fill out of order) into a fatal error, after
 * which the relay makes a new producer and resends from the slot's confirmed position; and no
 * record ever times out (message.timeout.ms 0), since a timed-out record is exactly such a gap.
 */
export function librdkafkaSettings(config: RelayConfig): LibrdkafkaSettings {
  return {
    global: {
      'bootstrap.servers': config.kafkaBrokers.join(','),
      'client.id': config.kafkaClientId,
      'enable.idempotence': true,
      'enable.gapless.guarantee': true,
      'max.in.flight.requests.per.connection': 5,
      'linger.ms': config.batchLingerMs,
      'batch.num.messages': config.batchMaxEvents,
      'batch.size': config.batchMaxBytes,
      // The relay's own size check (OUTBOX_MAX_RECORD_BYTES) decides what is too large to send.
      'message.max.bytes': Math.max(config.maxRecordBytes + RECORD_FRAMING_BYTES, config.batchMaxBytes),
      // The in-flight bound holds the relay well below these: librdkafka must never refuse a record.
      'queue.buffering.max.messages': Math.max(100_000, 2 * config.maxInflightEvents),
      'queue.buffering.max.kbytes': Math.max(1_048_576, Math.ceil((2 * config.maxInflightBytes) / 1024)),
      'compression.codec': config.kafkaCompression,
      'reconnect.backoff.max.ms': Math.min(config.retryMaxMs, 10_000),
      'socket.keepalive.enable': true,
      ...securitySettings(config),
      dr_cb: true,
    },
    topic: {
      acks: -1,
      'message.timeout.ms': 0,
      // Java's default partitioner for keyed records: each key lands where Debezium and kafkajs put it.
      partitioner: 'murmur2_random',
    },
  };
}

/**
 * Exactly-once: the same producer, transactional. A transaction is all or nothing, so a record
 * may time out (it aborts the transaction, and the relay resends from the checkpoint); librdkafka
 * requires that within the transaction's timeout. The gapless guarantee is for idempotence alone;
 * the commit, not each record's delivery report, acknowledges.
 */
export function librdkafkaTransactionalSettings(
  config: RelayConfig,
  transactionalId: string,
): LibrdkafkaSettings {
  const { global, topic } = librdkafkaSettings(config);
  const { 'enable.gapless.guarantee': _gapless, dr_cb: _reports, ...idempotent } = global;
  return {
    global: {
      ...idempotent,
      'transactional.id': transactionalId,
      'transaction.timeout.ms': TRANSACTION_TIMEOUT_MS,
    },
    topic: { ...topic, 'message.timeout.ms': TRANSACTION_TIMEOUT_MS },
  };
}

function securitySettings(config: RelayConfig): ProducerGlobalConfig {
  const sasl = config.kafkaSaslMechanism !== 'none';
  const protocol = `${sasl ? 'sasl_' : ''}${config.kafkaSsl ? 'ssl' : 'plaintext'}` as const;
  const settings: ProducerGlobalConfig = { 'security.protocol': protocol };
  if (config.kafkaSslCaFile) settings['ssl.ca.location'] = config.kafkaSslCaFile;
  if (config.kafkaSslCertFile) settings['ssl.certificate.location'] = config.kafkaSslCertFile;
  if (config.kafkaSslKeyFile) settings['ssl.key.location'] = config.kafkaSslKeyFile;
  if (config.kafkaSslKeyPassword) settings['ssl.key.password'] = config.kafkaSslKeyPassword;
  if (sasl) {
    settings['sasl.mechanisms'] = config.kafkaSaslMechanism.toUpperCase();
    settings['sasl.username'] = config.kafkaSaslUsername;
    settings['sasl.password'] = config.kafkaSaslPassword;
  }
  return settings;
}
