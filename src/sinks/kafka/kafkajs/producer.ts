import {
  CompressionTypes,
  type ICustomPartitioner,
  type Kafka,
  Partitioners,
  type Producer,
  type RecordMetadata,
  type TopicMessages,
} from 'kafkajs';
import type { Compression } from '../../../config/relay-config.js';
import { KafkaSendError } from '../../../errors.js';
import { CLIENT_RETRY, TRANSACTIONAL_RETRY } from './client.js';

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
  /** Every topic-partition kafkajs's partitioner chose during the send in progress. */
  private readonly targeted = new Set<string>();

  /** With a `transactionalId`, connecting fences every earlier producer of that id (exactly-once). */
  constructor(
    private readonly kafka: Kafka,
    private readonly compression: Compression,
    private readonly transactionalId?: string,
  ) {
    this.producer = this.create();
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topicMessages: TopicMessages[]): Promise<void> {
    this.targeted.clear();
    this.assertAcknowledged(await this.producer.sendBatch(this.batchOf(topicMessages)));
  }

  /**
   * Fences every earlier producer of the transactional id (and has the coordinator settle its open
   * transaction) now, not at the first send: kafkajs asks for the transactional producer id only
   * when a transaction begins. The empty transaction ends without a request.
   */
  async fence(): Promise<void> {
    await (await this.producer.transaction()).abort();
  }

  /** Sends the batch in one Kafka transaction and commits it; aborts it and rejects on any failure. */
  async sendInTransaction(topicMessages: TopicMessages[]): Promise<void> {
    this.targeted.clear();
    const transaction = await this.producer.transaction();
    try {
      this.assertAcknowledged(await transaction.sendBatch(this.batchOf(topicMessages)));
      await transaction.commit();
    } catch (error) {
      if (transaction.isActive()) await transaction.abort().catch(() => undefined);
      throw error;
    }
  }

  private batchOf(topicMessages: TopicMessages[]) {
    return { topicMessages, acks: -1, compression: COMPRESSION[this.compression] };
  }

  private assertAcknowledged(acknowledged: readonly RecordMetadata[]): void {
    const missing = unacknowledgedPartitions(this.targeted, acknowledged);
    if (missing.length > 0) {
      throw new KafkaSendError(
        `Kafka: kafkajs resolved a send without an acknowledgement for ${missing.join(', ')} (a leader moved during its retries); resending the batch`,
        undefined,
        true,
      );
    }
  }

  async reset(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    this.producer = this.create();
    await this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /**
   * The Java client's murmur2 partitioner (the same key lands where Debezium put it), noting each
   * choice. kafkajs 2.2.4 keeps a broker's response across its internal retries: when a partition
   * moves to a broker that already answered, its messages are never sent, yet sendBatch resolves
   * (tulios/kafkajs#1303). The notes let send() catch that and fail the batch, which is resent whole.
   */
  private readonly recordingPartitioner: ICustomPartitioner = () => {
    const partition = Partitioners.DefaultPartitioner();
    return (args) => {
      const chosen = partition(args);
      this.targeted.add(partitionName(args.topic, chosen));
      return chosen;
    };
  };

  private create(): Producer {
    return this.kafka.producer({
      idempotent: true,
      transactionalId: this.transactionalId,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: this.recordingPartitioner,
      retry: this.transactionalId ? TRANSACTIONAL_RETRY : CLIENT_RETRY,
    });
  }
}

function partitionName(topic: string, partition: number): string {
  return `${topic}[${partition}]`;
}

/** The targeted topic-partitions that no broker acknowledged, in kafkajs's sendBatch result. */
export function unacknowledgedPartitions(
  targeted: ReadonlySet<string>,
  acknowledged: readonly RecordMetadata[],
): string[] {
  const answered = new Set(
    acknowledged.map(({ topicName, partition }) => partitionName(topicName, partition)),
  );
  return [...targeted].filter((name) => !answered.has(name));
}
