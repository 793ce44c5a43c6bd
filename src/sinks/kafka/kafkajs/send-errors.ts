import { KafkaSendError } from '../../../errors.js';
import { TRANSACTIONAL_ID_ACL_ADVICE } from '../connect-failure.js';

interface KafkaJsErrorShape {
  name?: string;
  message?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
  originalError?: unknown;
}

/**
 * Broker error types that no resend can fix: the batch itself is wrong or forbidden.
 * Everything else (connection loss, leader changes, timeouts) is worth retrying.
 */
const FATAL_BROKER_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_RECORD',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_VERSION',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_COMPRESSION_TYPE',
]);

function causes(error: unknown): KafkaJsErrorShape[] {
  const chain: KafkaJsErrorShape[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && chain.length < 10) {
    const shape = current as KafkaJsErrorShape;
    chain.push(shape);
    current = shape.originalError ?? shape.cause;
  }
  return chain;
}

/** What kafkajs says went wrong: the innermost error's message, without advice. */
export function kafkaErrorText(error: unknown): string {
  return `Kafka: ${causes(error).at(-1)?.message ?? String(error)}`;
}

/** Classifies a kafkajs failure by the innermost broker error it carries. */
export function classifyKafkaError(error: unknown): KafkaSendError {
  if (error instanceof KafkaSendError) return error;
  const chain = causes(error);
  const typed = chain.find((entry) => entry.type !== undefined);
  const fatal = chain.some((entry) => entry.type !== undefined && FATAL_BROKER_ERRORS.has(entry.type));
  const sasl = chain.some((entry) => entry.name === 'KafkaJSSASLAuthenticationError');
  const hint = sasl
    ? ': check OUTBOX_KAFKA_SASL_USERNAME and OUTBOX_KAFKA_SASL_PASSWORD'
    : typed?.type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
      ? `; ${TRANSACTIONAL_ID_ACL_ADVICE}`
      : '';
  return new KafkaSendError(`${kafkaErrorText(error)}${hint}`, typed?.type, !(fatal || sasl), {
    cause: error,
  });
}
