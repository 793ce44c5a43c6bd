import { randomBytes } from 'node:crypto';
import kafkajs, {
  type Admin,
  type IHeaders,
  Kafka,
  type KafkaMessage,
  type logCreator,
  logLevel,
} from 'kafkajs';
import { waitFor } from './wait-for.js';

// kafkajs spreads its error classes into module.exports, which Node's named ESM imports do not see.
const { KafkaJSError, KafkaJSNumberOfRetriesExceeded } = kafkajs;

/** A record as read back from Kafka, with the key and headers decoded as UTF-8. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  /** The key's and headers' bytes as sent, headers in their order (for byte-for-byte comparisons). */
  readonly keyBytes: Buffer | null;
  readonly headerList: readonly (readonly [string, Buffer | null])[];
  /** Milliseconds since 1970, as kafkajs gives it. */
  readonly timestamp: string;
}

export interface ConsumeOptions {
  /** Stop as soon as this returns true for the records read so far (called after each record). */
  readonly until: (records: readonly ConsumedRecord[]) => boolean;
  /** Stop after this many ms in any case, returning what was read. */
  readonly timeoutMs: number;
  /**
   * Once `until` holds, read on to the end each partition then has (its last stable offset):
   * a duplicate sent after the last new record is counted too.
   */
  readonly toEnd?: boolean;
}

/**
 * kafkajs's console lines, less the ERROR line it prints for each error answer of a broker
 * (a TOPIC_ALREADY_EXISTS to createTopics, a coordinator still loading, a leader moving after a
 * broker restart): kafkajs then retries, resolves (createTopics resolves false on an existing
 * topic) or throws, and a failure that matters reaches the test as that error. Likewise a
 * consumer's crash on a retriable error, after which kafkajs restarts it.
 */
const RESTARTED_CRASH =
  /^(Restarting the consumer in|Crash: KafkaJSProtocolError: (The coordinator is loading|This is not the correct coordinator|The coordinator is not available|There is no leader|This server is not the leader))/;

const quietLogCreator: logCreator =
  () =>
  ({ namespace, label, log }) => {
    if (namespace === 'Connection' && log.message.startsWith('Response ')) return;
    // A consumer that joins while a broker restarts crashes on a retriable error and restarts itself.
    if (namespace === 'Consumer' && RESTARTED_CRASH.test(log.message)) return;
    console.error(JSON.stringify({ level: label, logger: 'kafkajs', ...log }));
  };

/** A kafkajs client for tests; `brokers` is a comma-separated host:port list or an array. */
export function kafkaClient(brokers: string | readonly string[]): Kafka {
  const list = typeof brokers === 'string' ? brokers.split(',') : [...brokers];
  return new Kafka({
    clientId: 'outbox-relay-tests',
    brokers: list,
    logLevel: logLevel.ERROR,
    logCreator: quietLogCreator,
  });
}

/** A topic name prefix no other test (or earlier run) uses. */
export function uniqueTopicPrefix(): string {
  return `test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Creates the topics that do not exist yet, then returns once every one of `names` has a leader for each
 * partition on the broker asked: a consumer can subscribe at once.
 */
export async function createTopics(
  brokers: string | readonly string[],
  names: readonly string[],
  partitions = 3,
  replicationFactor = 1,
): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    // Only the missing ones (one the relay created meanwhile is harmless: see quietLogCreator).
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
        // kafkajs's own wait is skipped when another client (the relay) created one of them meanwhile,
        // and throws when the broker has not heard of a topic yet: waitForLeaders instead.
        waitForLeaders: false,
      });
    }
    await waitForLeaders(admin, names);
  });
}

/**
 * Returns once the broker `admin` asks knows each topic and every partition has a leader.
 *
 * The controller answers CreateTopics before the brokers have applied the new topic to their
 * metadata; until they have, a metadata request names it UNKNOWN_TOPIC_OR_PARTITION, which
 * kafkajs's consumer.subscribe throws instead of retrying (a just-started broker takes tens of ms).
 * kafkajs's createTopics({ waitForLeaders: true }) does not cover it: it resolves false without
 * waiting when any of the topics existed already, for instance one the relay had just auto-created
 * (the first `npm run demo` on a new broker died that way). Retriable Kafka errors mean "not yet";
 * any other error (authorization, an invalid name) is thrown at once.
 */
export async function waitForLeaders(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    async () => {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      return (
        metadata.topics.length === topics.length &&
        metadata.topics.every(
          ({ partitions }) => partitions.length > 0 && partitions.every((partition) => partition.leader >= 0),
        )
      );
    },
    {
      timeoutMs,
      message: `a leader for every partition of ${topics.join(', ')}`,
      retriable: retriableKafkaError,
    },
  );
}

/** A kafkajs error that says to try again, also when kafkajs gave up after its own retries. */
function retriableKafkaError(error: unknown): boolean {
  if (error instanceof KafkaJSNumberOfRetriesExceeded) return retriableKafkaError(error.cause);
  return error instanceof KafkaJSError && error.retriable;
}

/**
 * Returns once the broker takes a write again: a topic created now accepts a record. A restarted
 * broker answers metadata requests, naming itself the leader of its partitions, before it has
 * loaded them; until then a produce fails with NOT_LEADER_OR_FOLLOWER, for a second on an idle
 * machine and for 12 to 35 s with 8,000 partitions on two busy cores. It applies metadata changes
 * in order, so a topic created after the restart takes writes only once the others do.
 */
export async function waitUntilWritable(
  brokers: string | readonly string[],
  timeoutMs = 120_000,
): Promise<void> {
  const topic = `${uniqueTopicPrefix()}.writable`;
  // Not createTopics: the broker may not know of the topic for longer than its leader wait.
  await withAdmin(brokers, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: false }),
  );
  const producer = kafkaClient(brokers).producer();
  await producer.connect();
  try {
    await waitFor(
      async () => {
        await producer.send({ topic, acks: -1, messages: [{ value: 'writable?' }] });
        return true;
      },
      {
        timeoutMs,
        intervalMs: 200,
        message: `the broker to take a write (to ${topic})`,
        retriable: retriableKafkaError,
      },
    );
  } finally {
    await producer.disconnect();
    await deleteTopics(brokers, [topic]);
  }
}

export async function listTopics(brokers: string | readonly string[]): Promise<string[]> {
  return withAdmin(brokers, (admin) => admin.listTopics());
}

export async function deleteTopics(
  brokers: string | readonly string[],
  names: readonly string[],
): Promise<void> {
  await withAdmin(brokers, (admin) => admin.deleteTopics({ topics: [...names] }));
}

/**
 * Reads `topics` from the beginning in a new consumer group until `until` holds or `timeoutMs` passes,
 * and returns every record read (in the order read; per partition in offset order).
 */
export async function consumeAll(
  brokers: string | readonly string[],
  topics: readonly string[],
  { until, timeoutMs, toEnd = false }: ConsumeOptions,
): Promise<ConsumedRecord[]> {
  // A topic the relay has not created yet would fail the subscription: create it (a no-op when it exists).
  await createTopics(brokers, topics);
  // read_committed (kafkajs's default, said here because exactly-once tests depend on it).
  const consumer = kafkaClient(brokers).consumer({
    groupId: `test-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
  });
  const records: ConsumedRecord[] = [];
  /** The last offset read of each partition, commit markers and aborted records included. */
  const reached = new Map<string, bigint>();
  let ends: Map<string, bigint> | undefined;
  let endsRequested = false;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      const finish = (error?: unknown) => {
        clearTimeout(timer);
        if (error === undefined) resolve();
        else reject(error);
      };
      const check = () => {
        try {
          if (!until(records)) return;
          if (!toEnd) return finish();
          if (!endsRequested) {
            endsRequested = true;
            lastStableOffsets(brokers, topics).then((found) => {
              ends = found;
              check();
            }, finish);
          }
          if (ends && [...ends].every(([partition, end]) => (reached.get(partition) ?? -1n) >= end - 1n)) {
            finish();
          }
        } catch (error) {
          finish(error);
        }
      };
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) finish(payload.error);
      });
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const name = `${payload.topic}:${payload.partition}`;
        const last = BigInt(payload.lastOffset);
        if (last > (reached.get(name) ?? -1n)) reached.set(name, last);
        check();
      });
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            records.push(toRecord(topic, partition, message));
            check();
          },
        })
        .catch(finish);
      check();
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Each non-empty partition's end for a read_committed reader (ListOffsets reads committed). */
async function lastStableOffsets(
  brokers: string | readonly string[],
  topics: readonly string[],
): Promise<Map<string, bigint>> {
  const ends = new Map<string, bigint>();
  await withAdmin(brokers, async (admin) => {
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > BigInt(low)) ends.set(`${topic}:${partition}`, BigInt(high));
      }
    }
  });
  return ends;
}

function toRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    value: message.value ?? null,
    headers: decodeHeaders(message.headers ?? {}),
    keyBytes: message.key ?? null,
    headerList: headerList(message.headers ?? {}),
    timestamp: message.timestamp,
  };
}

/** Header values as UTF-8 strings; of a repeated header, the last value (as Kafka's lastHeader). */
function decodeHeaders(headers: IHeaders): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw.at(-1) : raw;
    if (value !== undefined && value !== null) decoded[name] = value.toString();
  }
  return decoded;
}

function headerList(headers: IHeaders): [string, Buffer | null][] {
  return Object.entries(headers).flatMap(([name, raw]) =>
    (Array.isArray(raw) ? raw : [raw]).map((value): [string, Buffer | null] => [
      name,
      value === undefined || value === null ? null : Buffer.from(value),
    ]),
  );
}

async function withAdmin<T>(
  brokers: string | readonly string[],
  use: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}
