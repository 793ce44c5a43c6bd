import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseLsn } from '../../src/replication/lsn.js';
import type { StreamIdentity } from '../../src/replication/stream-identity.js';
import { checkpointKey, encodeCheckpoint } from '../../src/sinks/kafka/checkpoint-record.js';
import { CheckpointStore } from '../../src/sinks/kafka/kafkajs/checkpoint-store.js';
import { kafkaClient, uniqueTopicPrefix } from '../support/kafka.js';
import { serviceUrls } from '../support/services.js';

const READS = 40;

/**
 * Another stream's relay on the shared checkpoint topic: one Kafka transaction after another,
 * each a few checkpoint records and a commit marker, until stopped.
 */
function otherWriter(brokers: string, topic: string, partition: number) {
  const producer = kafkaClient(brokers).producer({
    transactionalId: `checkpoint-store-test.${randomBytes(4).toString('hex')}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  let running = true;
  let transactions = 0;
  const done = (async () => {
    await producer.connect();
    try {
      while (running) {
        const transaction = await producer.transaction();
        await transaction.send({
          topic,
          messages: Array.from({ length: 5 }, (_, i) => ({
            key: `other/${transactions}/${i}`,
            value: '{}',
            partition,
          })),
        });
        await transaction.commit();
        transactions++;
      }
    } finally {
      await producer.disconnect();
    }
  })();
  return {
    get transactions() {
      return transactions;
    },
    async stop(): Promise<void> {
      running = false;
      await done;
    },
  };
}

/** A checkpoint store on a topic of its own, its stream's checkpoint written after `before` other records. */
async function storeWithCheckpoint(options: { before: number; retention?: boolean }) {
  const { kafkaBrokers } = serviceUrls();
  const kafka = kafkaClient(kafkaBrokers);
  const topic = `${uniqueTopicPrefix()}.checkpoints`;
  if (options.retention) {
    // Created by its operator with retention as well as compaction: the log start moves.
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }] },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
  }
  const identity: StreamIdentity = { systemId: '1', database: 'app', slot: 'outbox_relay' };
  const store = new CheckpointStore(kafka, topic, checkpointKey(identity));
  const partition = await store.prepare();
  const checkpoint = {
    commitLsn: parseLsn('0/1A2B3C4D'),
    xid: 7_654,
    commitTimeMicros: 818_000_000_000_000,
    events: 7,
  };
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const filler = Array.from({ length: options.before }, (_, i) => ({
    key: `filler/${i}`,
    value: '{}',
    partition,
  }));
  if (filler.length > 0) await producer.send({ topic, messages: filler });
  const [written] = await producer.send({
    topic,
    messages: [{ key: store.key, value: encodeCheckpoint(identity, checkpoint), partition }],
  });
  await producer.disconnect();
  return {
    kafka,
    kafkaBrokers,
    topic,
    store,
    partition,
    checkpoint,
    offset: BigInt(written?.baseOffset ?? '0'),
  };
}

describe('the checkpoint reader (kafkajs CheckpointStore)', () => {
  it('finds the stream checkpoint every time while another relay keeps committing to the shared topic', {
    timeout: 300_000,
  }, async () => {
    const { kafkaBrokers, topic, store, partition, checkpoint } = await storeWithCheckpoint({ before: 0 });
    const writer = otherWriter(kafkaBrokers, topic, partition);
    const found = [];
    try {
      for (let read = 0; read < READS; read++) found.push(await store.read(partition));
    } finally {
      await writer.stop();
    }
    // Each read began with the other relay's records arriving during it.
    expect(writer.transactions).toBeGreaterThan(READS);
    expect(found).toEqual(Array.from({ length: READS }, () => checkpoint));
  });

  it('finds it while the log start moves towards it (retention on the topic), another relay committing', {
    timeout: 300_000,
  }, async () => {
    const { kafka, kafkaBrokers, topic, store, partition, checkpoint, offset } = await storeWithCheckpoint({
      before: 400,
      retention: true,
    });
    const writer = otherWriter(kafkaBrokers, topic, partition);
    const admin = kafka.admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [topic] });
    // Records before the checkpoint deleted one at a time, as retention would: a read's window
    // measured a moment ago may start before the log start by the time it fetches.
    let deleting = true;
    let logStart = 0n;
    const deleter = (async () => {
      for (; deleting && logStart + 1n < offset; logStart++) {
        await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: String(logStart + 1n) }] });
      }
    })();
    const found = [];
    let readsWhileDeleting = 0;
    try {
      for (let read = 0; read < READS; read++) {
        if (logStart + 1n < offset) readsWhileDeleting++;
        found.push(await store.read(partition));
      }
    } finally {
      deleting = false;
      await deleter;
      await admin.disconnect();
      await writer.stop();
    }
    expect(found).toEqual(Array.from({ length: READS }, () => checkpoint));
    // Enough reads raced the moving log start to mean something.
    expect(readsWhileDeleting).toBeGreaterThanOrEqual(10);
  });
});
