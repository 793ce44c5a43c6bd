import { CompressionTypes, type Kafka, Partitioners, type Producer, type TopicMessages } from 'kafkajs';
import type { Compression } from '../../config/relay-config.js';
import { CLIENT_RETRY } from './client.js';

/** What the sink needs of a producer; a fake in unit tests, kafkajs in the relay. */
export interface BatchProducer {
  /** Resolves once the broker has acknowledged every message (acks = all). */
  send(batch: TopicMessages[]): Promise<void>;
  /** Replaces the producer (and so its producer id and sequence numbers) after a failure. */
  reset(): Promise<void>;
  disconnect(): Promise<void>;
}

const COMPRESSION: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

/**
 * The ordering rule of the brief: idempotent, acks from all in-sync replicas, one request
 * in flight per connection, so that a retry can never overtake an earlier batch.
 */
export class KafkajsProducer implements BatchProducer {
  private producer: Producer;

  constructor(
    private readonly kafka: Kafka,
    private readonly compression: Compression,
  ) {
    this.producer = this.create();
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topicMessages: TopicMessages[]): Promise<void> {
    await this.producer.sendBatch({ topicMessages, acks: -1, compression: COMPRESSION[this.compression] });
  }

  async reset(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    this.producer = this.create();
    await this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  private create(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      // The Java client's murmur2 partitioner: the same key lands where Debezium put it.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: CLIENT_RETRY,
    });
  }
}
