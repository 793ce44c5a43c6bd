import type { Message, TopicMessages } from 'kafkajs';
import type { PoisonEventError } from '../errors.js';
import type { OutboxRecord } from '../outbox/record.js';

/** A record waiting for Kafka, and what to call once the broker has it. */
export interface Delivery {
  readonly record: OutboxRecord;
  /** Called with the record as sent: a stage on the way may have replaced it (dead letter). */
  readonly onAcknowledged: (sent: OutboxRecord) => void;
  /**
   * The record to send instead when a later stage finds this one unpublishable (its payload does
   * not match its Avro schema); it may throw, to stop the relay (OUTBOX_ON_POISON=stop).
   * Undefined for a dead-letter record, which is sent as it is.
   */
  readonly deadLetter: ((error: PoisonEventError) => OutboxRecord) | undefined;
}

/** Groups deliveries by topic, keeping their order, in the shape of kafkajs's sendBatch. */
export function toTopicMessages(deliveries: readonly Delivery[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const { record } of deliveries) {
    let messages = byTopic.get(record.topic);
    if (!messages) {
      messages = [];
      byTopic.set(record.topic, messages);
    }
    const message: Message = {
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp,
    };
    if (record.partition !== undefined) message.partition = record.partition;
    messages.push(message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
