import type { Consumer, KafkaMessage } from 'kafkajs';
import type pg from 'pg';
import type { Inbox } from './inbox.js';

/** One record as the handler sees it. */
export interface InboxRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

export interface InboxConsumerOptions {
  /** A connected, subscribed kafkajs consumer; its offsets are committed here, never automatically. */
  readonly consumer: Consumer;
  readonly inbox: Inbox;
  /** The event's effects, in the inbox's transaction (`client` is inside it). */
  handle(record: InboxRecord, client: pg.PoolClient): Promise<void>;
  /** The event id; by default the `id` header the relay writes. */
  readonly eventIdOf?: (message: KafkaMessage) => string;
}

/**
 * Runs the consumer one record at a time: the effects and the event id commit together in
 * PostgreSQL, then the offset is committed to Kafka. A crash between the two redelivers the
 * record, and the inbox then skips it: each event's effects happen once.
 */
export async function runInboxConsumer(options: InboxConsumerOptions): Promise<void> {
  const { consumer, inbox, handle } = options;
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const event = options.eventIdOf ? options.eventIdOf(message) : message;
      await inbox.handle(event, (client) => handle({ topic, partition, message }, client));
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
}
