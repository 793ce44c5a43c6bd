import type { RelayConfig } from '../config/relay-config.js';
import { KafkaSendError } from '../errors.js';

/** The fatal error of a client that could not reach any of KAFKA_BROKERS at start-up. */
export function brokersUnreachable(
  config: RelayConfig,
  detail: string,
  brokerErrorType: string | undefined,
  cause: unknown,
): KafkaSendError {
  return new KafkaSendError(
    `cannot reach Kafka at KAFKA_BROKERS=${config.kafkaBrokers.join(',')}: ${detail}. ` +
      'Check the broker addresses and that the brokers run.',
    brokerErrorType,
    false,
    { cause },
  );
}
