import type { RelayConfig } from '../../config/relay-config.js';
import { KafkaSendError } from '../../errors.js';

/** What a client's text says went wrong when it first connected. */
type ConnectProblem = 'tls' | 'credentials' | 'unreachable';

const TLS_FAILURE = /certificate|self[- ]signed|ssl handshake|handshake failed|\btls\b/i;
const CREDENTIALS_FAILURE = /authentication (failed|error)|invalid credentials/i;

function problemOf(detail: string): ConnectProblem {
  if (CREDENTIALS_FAILURE.test(detail)) return 'credentials';
  if (TLS_FAILURE.test(detail)) return 'tls';
  return 'unreachable';
}

/** The settings to check for each problem, in the words of the error. */
function advice(config: RelayConfig, problem: ConnectProblem): string {
  switch (problem) {
    case 'tls': {
      const client = config.kafkaSslCertFile
        ? ', and that OUTBOX_KAFKA_SSL_CERT_FILE and OUTBOX_KAFKA_SSL_KEY_FILE are a certificate the brokers trust'
        : '';
      return (
        "Check OUTBOX_KAFKA_SSL_CA_FILE (the CA that signed the brokers' certificates), that the brokers' " +
        `certificates name the host in KAFKA_BROKERS, and OUTBOX_KAFKA_SSL${client}.`
      );
    }
    case 'credentials':
      return 'Check OUTBOX_KAFKA_SASL_MECHANISM, OUTBOX_KAFKA_SASL_USERNAME and OUTBOX_KAFKA_SASL_PASSWORD.';
    case 'unreachable':
      return 'Check the broker addresses and that the brokers run.';
  }
}

/**
 * The fatal error of a client that could not connect to any of KAFKA_BROKERS at start-up: the
 * brokers not answering, their certificates not verifying, or the credentials refused.
 */
export function connectFailed(
  config: RelayConfig,
  detail: string,
  brokerErrorType: string | undefined,
  cause: unknown,
): KafkaSendError {
  const problem = problemOf(detail);
  const what = problem === 'unreachable' ? 'cannot reach Kafka' : 'cannot connect to Kafka';
  return new KafkaSendError(
    `${what} at KAFKA_BROKERS=${config.kafkaBrokers.join(',')}: ${detail}. ${advice(config, problem)}`,
    brokerErrorType,
    false,
    { cause },
  );
}

/** What to do about TRANSACTIONAL_ID_AUTHORIZATION_FAILED (exactly-once), in both clients' errors. */
export const TRANSACTIONAL_ID_ACL_ADVICE =
  "grant the relay's principal WRITE and DESCRIBE on its transactional id, outbox-relay.<system identifier>.<database>.<slot> or OUTBOX_TRANSACTIONAL_ID (docs/exactly-once.md)";

/** What to do about TOPIC_AUTHORIZATION_FAILED, in both clients' errors. */
export const TOPIC_ACL_ADVICE =
  "grant the relay's principal WRITE and DESCRIBE on the topic (docs/production.md lists the ACLs the relay needs)";
