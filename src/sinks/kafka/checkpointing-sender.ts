import type { OutboxRecord } from '../../outbox/record.js';
import type { StreamIdentity } from '../../replication/stream-identity.js';
import type { BatchSender } from '../batching-sink.js';
import type { Delivery } from '../delivery.js';
import type { SinkObserver } from '../record-sink.js';
import { encodeCheckpoint } from './checkpoint-record.js';

/** A Kafka client's transactional producer, connected: its transactional.id already fences earlier ones. */
export interface TransactionalProducer {
  /** Sends the records in one Kafka transaction and commits it; rejects unless it committed. */
  commit(records: readonly OutboxRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Where a stream's checkpoint records go: a fixed partition, so that the reader finds them. */
export interface CheckpointTarget {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  readonly identity: StreamIdentity;
}

/**
 * Exactly-once delivery: each batch goes in one Kafka transaction with a checkpoint record that
 * says where the batch ends in the slot's stream, so that the records and the position become
 * visible together or not at all. Nothing is retried here: a failed transaction fails the sink,
 * and the relay starts over from the checkpoint with a new producer, which settles the old one's
 * transaction first.
 */
export class CheckpointingSender implements BatchSender {
  constructor(
    private readonly producer: TransactionalProducer,
    private readonly target: CheckpointTarget,
    private readonly observer: SinkObserver,
  ) {}

  async send(batch: readonly Delivery[]): Promise<void> {
    const last = batch[batch.length - 1] as Delivery;
    const records = batch.map((delivery) => delivery.record);
    let bytes = 0;
    for (const record of records) bytes += record.sizeBytes;
    records.push(this.checkpointRecord(last));
    const started = performance.now();
    await this.producer.commit(records);
    this.observer.batchSent(batch.length, bytes, (performance.now() - started) / 1000);
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  private checkpointRecord(last: Delivery): OutboxRecord {
    const { commitLsn, xid, commitTimeMicros } = last.receipt;
    const value = encodeCheckpoint(this.target.identity, {
      commitLsn,
      xid,
      commitTimeMicros,
      events: last.ordinal,
    });
    return {
      topic: this.target.topic,
      key: this.target.key,
      value,
      headers: {},
      eventType: null,
      timestampMs: undefined,
      partition: this.target.partition,
      sizeBytes: value.length + this.target.key.length,
    };
  }
}
