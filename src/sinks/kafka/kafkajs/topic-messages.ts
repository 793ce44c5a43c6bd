import type { IHeaders, Message, TopicMessages } from 'kafkajs';
import type { OutboxRecord } from '../../../outbox/record.js';

/** Groups records by topic, keeping their order, in the shape of kafkajs's sendBatch. */
export function toTopicMessages(records: readonly OutboxRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    let messages = byTopic.get(record.topic);
    if (!messages) {
      messages = [];
      byTopic.set(record.topic, messages);
    }
    const message: Message = {
      key: record.key,
      value: record.value,
      headers: withoutNulls(record.headers),
    };
    if (record.timestampMs !== undefined) message.timestamp = String(record.timestampMs);
    if (record.partition !== undefined) message.partition = record.partition;
    messages.push(message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * kafkajs 2.2.4 cannot send a header with a null value (its record encoder takes
 * Buffer.byteLength(null) and throws), so such headers are left out with this client.
 */
function withoutNulls(headers: Record<string, string | null>): IHeaders {
  for (const name in headers) {
    if (headers[name] === null) {
      return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== null)) as IHeaders;
    }
  }
  return headers as IHeaders;
}
