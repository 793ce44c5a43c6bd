import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { RelayConfig } from '../../../config/relay-config.js';

/** kafkajs's own retries are kept short: our loop retries for ever, with jitter, and reports. */
export const CLIENT_RETRY = { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 } as const;

/**
 * The transactional producer's: a transaction's first send right after the previous commit is
 * refused with CONCURRENT_TRANSACTIONS until the coordinator has written the commit markers, a
 * few milliseconds; kafkajs's usual first retry after 100 ms would cap throughput (the Java
 * client waits 20 ms for this too).
 */
export const TRANSACTIONAL_RETRY = { retries: 10, initialRetryTime: 10, maxRetryTime: 2_000 } as const;

/** A warning kafkajs prints for any finite retry count on an idempotent producer: we resend ourselves. */
const EXPECTED_WARNING = 'Limiting retries for the idempotent producer';
/** CONCURRENT_TRANSACTIONS, which kafkajs retries and every transaction may meet: not worth a warning. */
const CONCURRENT_TRANSACTIONS = 'another concurrent operation on the same transaction';

export function createKafka(config: RelayConfig, logger: Logger): Kafka {
  const options: KafkaConfig = {
    clientId: config.kafkaClientId,
    brokers: [...config.kafkaBrokers],
    ssl: tlsOptions(config),
    retry: CLIENT_RETRY,
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry) => forward(logger, entry),
  };
  const sasl = saslOptions(config);
  if (sasl) options.sasl = sasl;
  return new Kafka(options);
}

/** Node's TLS options from the PEM files: a CA file replaces the system's CAs, as in librdkafka. */
function tlsOptions(config: RelayConfig): ConnectionOptions | boolean {
  const { kafkaSsl, kafkaSslCaFile: ca, kafkaSslCertFile: cert, kafkaSslKeyFile: key } = config;
  if (!kafkaSsl || (!ca && !cert)) return kafkaSsl;
  const options: ConnectionOptions = {};
  if (ca) options.ca = [readFileSync(ca, 'utf8')];
  if (cert) options.cert = readFileSync(cert, 'utf8');
  if (key) options.key = readFileSync(key, 'utf8');
  if (config.kafkaSslKeyPassword) options.passphrase = config.kafkaSslKeyPassword;
  return options;
}

function saslOptions(config: RelayConfig): SASLOptions | undefined {
  const { kafkaSaslMechanism: mechanism, kafkaSaslUsername: username, kafkaSaslPassword: password } = config;
  if (mechanism === 'none') return undefined;
  return { mechanism, username, password } as SASLOptions;
}

function forward(logger: Logger, { level, log }: LogEntry): void {
  const { message, timestamp: _timestamp, logger: _name, ...context } = log;
  if (message.startsWith(EXPECTED_WARNING)) return;
  const fields = { component: 'kafkajs', ...context };
  // kafkajs logs every error it then retries at ERROR; the relay logs the outcome itself.
  const expected = `${message} ${String(context.error ?? '')}`.includes(CONCURRENT_TRANSACTIONS);
  if (level <= KafkaLogLevel.WARN && !expected) logger.warn(fields, message);
  else logger.debug(fields, message);
}
