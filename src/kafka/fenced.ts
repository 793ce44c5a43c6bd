import { KafkaSendError } from '../errors.js';

/**
 * Broker error types that mean a newer producer of the same transactional id fenced this one:
 * librdkafka's fatal ERR__FENCED, kafkajs's PRODUCER_FENCED, and INVALID_PRODUCER_EPOCH, which
 * brokers answer instead to the older protocol versions kafkajs speaks.
 */
const FENCED = new Set(['_FENCED', 'PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH']);

/** Whether a transactional producer failed because another producer of its transactional id took over. */
export function isFenced(error: unknown): boolean {
  return error instanceof KafkaSendError && FENCED.has(error.brokerErrorType ?? '');
}
