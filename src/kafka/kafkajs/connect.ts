import type { Logger } from 'pino';
import type { RelayConfig } from '../../config/relay-config.js';
import { connectFailed } from '../connect-failure.js';
import type { SinkObserver } from '../record-sink.js';
import { createKafka } from './client.js';
import { KafkajsProducer } from './producer.js';
import { classifyKafkaError, kafkaErrorText } from './send-errors.js';
import { KafkajsSink } from './sink.js';

/** The kafkajs sink, connected: a broker that cannot be reached is a clear, fatal error. */
export async function connectKafkajsSink(
  config: RelayConfig,
  logger: Logger,
  observer: SinkObserver,
): Promise<KafkajsSink> {
  const producer = new KafkajsProducer(createKafka(config, logger), config.kafkaCompression);
  try {
    await producer.connect();
  } catch (error) {
    // connectFailed gives the advice for a failed connect; the text alone goes in.
    throw connectFailed(config, kafkaErrorText(error), classifyKafkaError(error).brokerErrorType, error);
  }
  return new KafkajsSink(producer, config, observer);
}
