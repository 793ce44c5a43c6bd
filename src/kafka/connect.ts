import type { Logger } from 'pino';
import type { RelayConfig } from '../config/relay-config.js';
import type { RecordSink, SinkObserver } from './record-sink.js';

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
