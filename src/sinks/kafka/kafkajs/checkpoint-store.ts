import { randomUUID } from 'node:crypto';
import { type Admin, type Kafka, Partitioners } from 'kafkajs';
import type { StoredCheckpoint } from '../../../checkpoint/stored-checkpoint.js';
import { KafkaSendError } from '../../../errors.js';
import { decodeCheckpoint } from '../checkpoint-record.js';
import { classifyKafkaError } from './send-errors.js';

/** Checkpoints are small and only the latest per stream matters. */
const TOPIC_CONFIG = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'segment.ms', value: String(60 * 60 * 1000) },
];
/** Records read back from the end on the first try; the window grows while the key is not found. */
const FIRST_WINDOW = 512n;
const WINDOW_GROWTH = 16n;
const READ_TIMEOUT_MS = 60_000;

/**
 * The checkpoint topic, through kafkajs whichever client produces (it is always installed, and
 * reads with read_committed): created when missing, and read back from its end to find the last
 * committed checkpoint of one stream.
 */
export class CheckpointStore {
  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    readonly key: string,
  ) {}

  /** Creates the topic when missing (compacted, one partition); returns the partition of this stream's records. */
  async prepare(): Promise<number> {
    return this.withAdmin(async (admin) => {
      if (!(await admin.listTopics()).includes(this.topic)) {
        await admin
          .createTopics({
            topics: [{ topic: this.topic, numPartitions: 1, configEntries: TOPIC_CONFIG }],
            waitForLeaders: true,
          })
          .catch((error: unknown) => {
            if (classifyKafkaError(error).brokerErrorType !== 'TOPIC_ALREADY_EXISTS') throw error;
          });
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: [this.topic] });
      const partitionMetadata = topics[0]?.partitions ?? [];
      return Partitioners.DefaultPartitioner()({
        topic: this.topic,
        partitionMetadata,
        message: { key: this.key, value: null },
      });
    });
  }

  /** The last checkpoint of the stream that a committed Kafka transaction holds, if any. */
  async read(partition: number): Promise<StoredCheckpoint | undefined> {
    // ListOffsets reads with read_committed: the end is the last stable offset.
    const offsets = await this.withAdmin((admin) => admin.fetchTopicOffsets(this.topic));
    const bounds = offsets.find((entry) => entry.partition === partition);
    if (!bounds)
      throw new KafkaSendError(`Kafka: ${this.topic} has no partition ${partition}`, undefined, true);
    const first = BigInt(bounds.low);
    let end = BigInt(bounds.high);
    for (let window = FIRST_WINDOW; end > first; window *= WINDOW_GROWTH) {
      const from = end - window > first ? end - window : first;
      const found = await this.scan(partition, from, end);
      if (found) return decodeOrExplain(found.value, this.topic, this.key);
      end = from;
    }
    return undefined;
  }

  /**
   * The value of the last record with this stream's key in offsets [from, end), read committed.
   *
   * It ends on the first batch that reaches `end - 1`, so every batch must come from a run of
   * fetches that started at or before `from`. The seek after run() starts one at `from` (kafkajs
   * commits the seek, so a rejoin resumes there too), but kafkajs may also fetch from a position of
   * its own choosing: before the seek applies, after its consumer crashed and restarted without
   * it, or after the broker answered OFFSET_OUT_OF_RANGE (retention moved the log start past
   * `from`). With `fromBeginning` each of those is the log start, never the log end: a read from
   * the end, while other relays write to a shared topic, would end on their records having read
   * nothing of the window. Reading from the log start costs time, not correctness: records before
   * `from` are ignored, and the record kept is the one at the highest offset, whatever order the
   * runs read it in.
   */
  private async scan(
    partition: number,
    from: bigint,
    end: bigint,
  ): Promise<{ readonly value: Buffer | null } | undefined> {
    const consumer = this.kafka.consumer({
      // Its own group: nothing is committed, and a reader killed mid-read delays no later one.
      groupId: `${this.topic}.reader.${randomUUID()}`,
      readUncommitted: false,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    let latest: { offset: bigint; value: Buffer | null } | undefined;
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new KafkaSendError(
                `Kafka: could not read ${this.topic} within ${READ_TIMEOUT_MS / 1000} s`,
                undefined,
                true,
              ),
            ),
          READ_TIMEOUT_MS,
        );
        const finish = (error?: unknown) => {
          clearTimeout(timer);
          if (error === undefined) resolve();
          else reject(error);
        };
        // Reported for every fetched batch, also one of only aborted records or commit markers.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          if (payload.partition === partition && BigInt(payload.lastOffset) >= end - 1n) finish();
        });
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (!payload.restart) finish(payload.error);
        });
        consumer
          .run({
            eachMessage: async ({ partition: fetched, message }) => {
              const offset = BigInt(message.offset);
              if (fetched !== partition || offset < from || offset >= end) return;
              if (message.key?.toString('utf8') !== this.key || (latest && latest.offset > offset)) return;
              latest = { offset, value: message.value };
            },
          })
          .then(() => consumer.seek({ topic: this.topic, partition, offset: from.toString() }))
          .catch(finish);
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return latest;
  }

  private async withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

function decodeOrExplain(value: Buffer | null, topic: string, key: string): StoredCheckpoint {
  try {
    return decodeCheckpoint(value);
  } catch (error) {
    throw new KafkaSendError(
      `Kafka: the last record with key ${key} in ${topic} is not a checkpoint (${(error as Error).message}); ` +
        'OUTBOX_CHECKPOINT_TOPIC must be written by outbox-relay alone',
      undefined,
      false,
      { cause: error },
    );
  }
}
