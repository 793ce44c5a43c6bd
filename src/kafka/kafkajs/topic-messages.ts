import type { Message, TopicMessages } from 'kafkajs';
import type { Delivery } from '../delivery.js';

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
    };
    if (record.timestampMs !== undefined) message.timestamp = String(record.timestampMs);
    if (record.partition !== undefined) message.partition = record.partition;
    messages.push(message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
