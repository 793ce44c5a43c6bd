import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { consumeAll, createTopics } from '../support/kafka.js';
import { KAFKA_CLIENT } from '../support/outbox.js';
import { useOutboxFixture } from '../support/relay-harness.js';

const PARTITIONS = 6;
const KEYS = 3_000;

/** Keys of every shape: short and long, numeric, UUIDs, and non-ASCII (hashed as UTF-8 bytes). */
function keyOf(index: number): string {
  switch (index % 5) {
    case 0:
      return `order-${index}`;
    case 1:
      return String(index * 7919);
    case 2:
      return `${index.toString(16).padStart(8, '0')}-1c2d-4e5f-8a9b-0c1d2e3f4a5b`;
    case 3:
      return `Zürich-Straße-${index}-東京-🚀`;
    default:
      return `tenant/${index % 37}/aggregate/${'x'.repeat(index % 300)}`;
  }
}

describe(`partitioning (${KAFKA_CLIENT})`, () => {
  const outbox = useOutboxFixture('partitioner');

  it("puts every key on the partition Java's default partitioner (kafkajs's DefaultPartitioner) picks", async () => {
    const topic = outbox.fixture.topic('keyed');
    await createTopics(outbox.fixture.kafkaBrokers, [topic], PARTITIONS);
    const relay = await outbox.fixture.startRelay();
    const keys = Array.from({ length: KEYS }, (_, index) => keyOf(index));
    for (let start = 0; start < keys.length; start += 500) {
      await outbox.writer.events(
        keys.slice(start, start + 500).map((aggregateId) => ({
          aggregateType: 'keyed',
          aggregateId,
          eventType: 'Keyed',
          payload: {},
        })),
      );
    }
    const records = await consumeAll(outbox.fixture.kafkaBrokers, [topic], {
      until: (received) => received.length >= KEYS,
      timeoutMs: 60_000,
    });
    await relay.stop();

    const javaPartitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    const misplaced = records.filter(
      (record) =>
        record.partition !==
        javaPartitioner({ topic, partitionMetadata, message: { key: record.key, value: null } }),
    );
    expect(records).toHaveLength(KEYS);
    expect(new Set(records.map((record) => record.key))).toEqual(new Set(keys));
    expect(misplaced.map((record) => [record.key, record.partition])).toEqual([]);
    // Every partition is used: a constant partition would also "agree" on a one-partition topic.
    expect(new Set(records.map((record) => record.partition)).size).toBe(PARTITIONS);
  });
});
