import { describe, expect, it } from 'vitest';
import { KafkaSendError } from '../../src/errors.js';
import type { OutboxRecord } from '../../src/outbox/record.js';
import { lsn } from '../../src/replication/lsn.js';
import { BatchingSink } from '../../src/sinks/batching-sink.js';
import type { Delivery } from '../../src/sinks/delivery.js';
import { decodeCheckpoint } from '../../src/sinks/kafka/checkpoint-record.js';
import {
  CheckpointingSender,
  type TransactionalProducer,
} from '../../src/sinks/kafka/checkpointing-sender.js';
import { testDelivery, testRecord } from '../support/deliveries.js';

/** Commits resolve or fail when the test says so. */
class ScriptedTransactions implements TransactionalProducer {
  readonly transactions: OutboxRecord[][] = [];
  private pending: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  commit(records: readonly OutboxRecord[]): Promise<void> {
    this.transactions.push([...records]);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  async close(): Promise<void> {}
  commitNext(): void {
    this.pending.shift()?.resolve();
  }
  failNext(error: unknown): void {
    this.pending.shift()?.reject(error);
  }
}

const target = {
  topic: 'outbox.checkpoints',
  partition: 0,
  key: '7312/app/slot',
  identity: { systemId: '7312', database: 'app', slot: 'slot' },
};
const quiet = { batchSent: () => undefined, sendFailed: () => undefined, sendRecovered: () => undefined };
const tick = () => new Promise((resolve) => setImmediate(resolve));

function delivery(commitLsn: bigint, ordinal: number, acked: string[]): Delivery {
  const key = `${commitLsn}-${ordinal}`;
  return testDelivery(testRecord(key, { topic: 'orders' }), {
    transaction: { commitLsn: lsn(commitLsn), xid: Number(commitLsn), commitTimeMicros: 7 },
    ordinal,
    acknowledged: () => acked.push(key),
  });
}

function sink(producer: TransactionalProducer): BatchingSink {
  return new BatchingSink(new CheckpointingSender(producer, target, quiet), {
    batchMaxEvents: 3,
    batchMaxBytes: 1_000_000,
    batchLingerMs: 0,
  });
}

describe('CheckpointingSender', () => {
  it('ends each Kafka transaction with the checkpoint of its last event, and acknowledges only once it commits', async () => {
    const producer = new ScriptedTransactions();
    const acked: string[] = [];
    const transactional = sink(producer);
    for (const [commitLsn, ordinal] of [
      [100n, 1],
      [100n, 2],
      [200n, 1],
      [200n, 2],
    ] as const) {
      transactional.enqueue(delivery(commitLsn, ordinal, acked));
    }
    await tick();
    // The first event went alone (no linger); the rest waited for its commit.
    const [first = []] = producer.transactions;
    expect(first.map((record) => record.key)).toEqual(['100-1', target.key]);
    expect(decodeCheckpoint(first[1]?.value ?? null)).toEqual({
      commitLsn: lsn(100n),
      xid: 100,
      commitTimeMicros: 7,
      events: 1,
    });
    expect(producer.transactions).toHaveLength(1);
    expect(acked).toEqual([]);

    producer.commitNext();
    await tick();
    expect(acked).toEqual(['100-1']);
    const [again = []] = producer.transactions.slice(1);
    expect(again.map((record) => record.key)).toEqual(['100-2', '200-1', '200-2', target.key]);
    const checkpoint = again.at(-1) as OutboxRecord;
    expect(checkpoint.topic).toBe(target.topic);
    expect(checkpoint.partition).toBe(0);
    expect(decodeCheckpoint(checkpoint.value)).toEqual({
      commitLsn: lsn(200n),
      xid: 200,
      commitTimeMicros: 7,
      events: 2,
    });

    producer.commitNext();
    await tick();
    expect(acked).toEqual(['100-1', '100-2', '200-1', '200-2']);
  });

  it('fails the sink when a transaction is not committed, acknowledging none of it', async () => {
    const producer = new ScriptedTransactions();
    const acked: string[] = [];
    const transactional = sink(producer);
    transactional.enqueue(delivery(100n, 1, acked));
    await tick();
    const fenced = new KafkaSendError('fenced', '_FENCED', true);
    producer.failNext(fenced);
    await expect(transactional.failed).rejects.toBe(fenced);
    expect(acked).toEqual([]);
  });
});
