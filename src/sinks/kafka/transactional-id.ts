import type { RelayConfig } from '../../config/relay-config.js';
import { KafkaSendError } from '../../errors.js';
import type { StreamIdentity } from '../../replication/stream-identity.js';

/**
 * One transactional id per stream: a second relay of the slot fences the first in Kafka, as the
 * leader lock does in PostgreSQL. The default names the server (its system identifier, shared by
 * its physical standbys), the database and the slot, so that relays of other databases on the
 * same Kafka cluster never share it, and keeps the `outbox-relay.` prefix that ACLs match.
 */
export const transactionalIdOf = (
  config: Pick<RelayConfig, 'transactionalId'>,
  { systemId, database, slot }: StreamIdentity,
): string => config.transactionalId || `outbox-relay.${systemId}.${database}.${slot}`;

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
