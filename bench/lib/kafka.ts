import { type Admin, type Consumer, Kafka, logLevel } from 'kafkajs';
import { Samples } from './stats.js';

/** Partitions of every benchmark topic, the same for every system. */
export const PARTITIONS = 6;

export function kafkaClient(brokers: string, clientId = 'outbox-relay-bench'): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  });
}

export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [...topics] })).catch(() => undefined);
}

/** Records written to `topic` so far: the sum of its partitions' high watermarks. */
async function recordCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}

export interface AckTimeline {
  /** ms (performance.now()) when the first acked record was seen, and how many were there then. */
  readonly firstAt: number;
  readonly firstCount: number;
  /** ms when at least `expected` records were in the topic. */
  readonly lastAt: number;
  readonly finalCount: number;
}

/** How often (in polls) waitForRecords looks at the dead-letter topic: about once a second. */
const DEAD_LETTER_CHECK_EVERY = 20;

/**
 * Polls the topic's end offsets every `pollMs` until `expected` records are in it: a record
 * is in the log once the broker has acknowledged it (acks=all). `onFirst` runs the moment
 * the first one is seen (to sample the producer's CPU there). `deadLetterTopic` must stay
 * empty: about once a second and at the end, a record there fails the wait (the events it
 * holds were not delivered as measured, so the measurement is void).
 */
export async function waitForRecords(
  kafka: Kafka,
  topic: string,
  expected: number,
  options: {
    timeoutMs: number;
    pollMs?: number;
    onFirst?: () => void;
    failed?: Promise<unknown>;
    deadLetterTopic?: string;
  },
): Promise<AckTimeline> {
  const pollMs = options.pollMs ?? 50;
  return withAdmin(kafka, async (admin) => {
    const deadline = performance.now() + options.timeoutMs;
    let firstAt = 0;
    let firstCount = 0;
    let failure: unknown;
    const checkDeadLetters = async () => {
      if (options.deadLetterTopic === undefined) return;
      const dead = await recordCount(admin, options.deadLetterTopic);
      if (dead > 0) {
        throw new Error(
          `${dead} events were dead-lettered to ${options.deadLetterTopic} (see the process's log): the measurement is void`,
        );
      }
    };
    options.failed?.then(
      (value) => {
        failure = new Error(`the process under test exited (${String(value)}) before delivering everything`);
      },
      (error) => {
        failure = error;
      },
    );
    for (let poll = 1; ; poll++) {
      const count = await recordCount(admin, topic);
      const now = performance.now();
      if (count > 0 && firstAt === 0) {
        firstAt = now;
        firstCount = count;
        options.onFirst?.();
      }
      if (count >= expected) {
        await checkDeadLetters();
        return { firstAt, firstCount, lastAt: now, finalCount: count };
      }
      if (failure) throw failure;
      if (poll % DEAD_LETTER_CHECK_EVERY === 0) await checkDeadLetters();
      if (now > deadline) {
        throw new Error(
          `only ${count} of ${expected} records reached ${topic} within ${options.timeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  });
}

export interface Verification {
  readonly records: number;
  readonly distinctEvents: number;
  readonly duplicates: number;
  /** Records of one aggregate whose `seq` went backwards (per-aggregate order broken). */
  readonly orderViolations: number;
  /** Bytes of the record values read (duplicates included). */
  readonly valueBytes: number;
  readonly seconds: number;
}

/** Reads an event's `seq` from a record value; undefined when the value is not one of ours. */
export type SeqReader = (value: Buffer | null) => number | undefined;

/**
 * Reads the whole topic back with an independent consumer and checks it: every event (by
 * its payload's `seq`, read by `seqOf`) present, duplicates counted, `seq` rising per key.
 */
export async function verifyTopic(
  kafka: Kafka,
  topic: string,
  expected: number,
  timeoutMs: number,
  seqOf: SeqReader = jsonSeqOf,
): Promise<Verification> {
  const consumer = kafka.consumer({ groupId: `verify-${topic}-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  const started = performance.now();
  const seen = new Uint8Array(expected);
  const lastSeqByKey = new Map<string, number>();
  let records = 0;
  let distinct = 0;
  let duplicates = 0;
  let orderViolations = 0;
  let valueBytes = 0;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`verification read ${records} of ${expected} records of ${topic} in time`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              records++;
              valueBytes += message.value?.length ?? 0;
              const seq = seqOf(message.value);
              if (seq === undefined || seq >= expected) continue;
              const key = message.key?.toString() ?? '';
              if (seen[seq]) {
                // A redelivery (at-least-once) may repeat older events: not an order violation.
                duplicates++;
                continue;
              }
              seen[seq] = 1;
              distinct++;
              const last = lastSeqByKey.get(key);
              if (last !== undefined && seq < last) orderViolations++;
              lastSeqByKey.set(key, seq);
            }
            if (distinct >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return {
    records,
    distinctEvents: distinct,
    duplicates,
    orderViolations,
    valueBytes,
    seconds: (performance.now() - started) / 1000,
  };
}

const SEQ = /"seq":\s*(\d+)/;

/** The `seq` of a JSON payload; Debezium may wrap the JSON in a string, so search the text. */
export function jsonSeqOf(value: Buffer | null): number | undefined {
  if (!value) return undefined;
  const match = SEQ.exec(value.toString('latin1', 0, Math.min(value.length, 200)).replaceAll('\\"', '"'));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * An independent consumer measuring receive time minus record timestamp for every record
 * (with OUTBOX_COLUMN_TIMESTAMP='' the relay's record timestamp is the commit time).
 */
export class LatencyConsumer {
  private consumer: Consumer | undefined;
  /** Pairs: record timestamp (ms), receive time minus it (ms). */
  readonly samples = new Samples();
  private received = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  get count(): number {
    return this.received;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `latency-${this.topic}-${Date.now()}`,
      maxWaitTimeInMs: 20,
      minBytes: 1,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    let joined: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      joined = resolve;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const message of batch.messages) {
          const timestamp = Number(message.timestamp);
          this.samples.push(timestamp);
          this.samples.push(now - timestamp);
          this.received++;
        }
      },
    });
    await ready;
  }

  async waitFor(expected: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.received < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.received >= expected;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
