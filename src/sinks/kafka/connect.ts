import type { Logger } from 'pino';
import type { RelayConfig } from '../../config/relay-config.js';
import { BatchingSink } from '../batching-sink.js';
import type { RecordSink, SinkObserver } from '../record-sink.js';
import {
  CheckpointingSender,
  type CheckpointTarget,
  type TransactionalProducer,
} from './checkpointing-sender.js';
import { transactionalIdOf } from './transactional-id.js';

/**
 * The sink of the Kafka client OUTBOX_KAFKA_CLIENT names, connected. Each client is loaded only
 * when chosen: the other costs no memory, and a failed native build does not stop a kafkajs relay.
 */
export async function connectKafkaSink(
  config: RelayConfig,
  logger: Logger,
  observer: SinkObserver,
): Promise<RecordSink> {
  switch (config.kafkaClient) {
    case 'kafkajs':
      return (await import('./kafkajs/connect.js')).connectKafkajsSink(config, logger, observer);
    case 'librdkafka':
      return (await import('./librdkafka/connect.js')).connectLibrdkafkaSink(config, logger, observer);
  }
}

/**
 * Exactly-once: a sink that commits each batch in a Kafka transaction with the stream's
 * checkpoint. Connecting fences every earlier producer of the stream's transactional id.
 */
export async function connectTransactionalSink(
  config: RelayConfig,
  logger: Logger,
  observer: SinkObserver,
  target: CheckpointTarget,
): Promise<RecordSink> {
  const producer = await connectTransactionalProducer(
    config,
    logger,
    transactionalIdOf(config, target.identity),
  );
  return new BatchingSink(new CheckpointingSender(producer, target, observer), {
    ...config,
    batchMaxBytes: transactionMaxBytes(config),
  });
}

/**
 * How many bytes one Kafka transaction may hold. Transactions go one at a time, so each costs a
 * round trip of its own: with large events, OUTBOX_BATCH_MAX_BYTES would make them many and small.
 * librdkafka splits a transaction into requests of its own size (batch.size), so a transaction may
 * hold half the in-flight bound; kafkajs sends a partition's share of a batch as one record batch,
 * which the broker's message.max.bytes bounds: there a transaction stays one batch.
 */
export function transactionMaxBytes(config: RelayConfig): number {
  if (config.kafkaClient === 'kafkajs') return config.batchMaxBytes;
  return Math.max(config.batchMaxBytes, Math.floor(config.maxInflightBytes / 2));
}

async function connectTransactionalProducer(
  config: RelayConfig,
  logger: Logger,
  transactionalId: string,
): Promise<TransactionalProducer> {
  switch (config.kafkaClient) {
    case 'kafkajs':
      return (await import('./kafkajs/connect.js')).connectKafkajsTransactions(
        config,
        logger,
        transactionalId,
      );
    case 'librdkafka':
      return (await import('./librdkafka/connect.js')).connectLibrdkafkaTransactions(
        config,
        logger,
        transactionalId,
      );
  }
}
