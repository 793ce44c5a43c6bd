import { createRequire } from 'node:module';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { KafkaSendError } from '../../src/errors.js';
import type { OutboxRecord } from '../../src/outbox/record.js';
import type { Delivery } from '../../src/sinks/delivery.js';
import type { ErrorCodes, LibrdkafkaFailure } from '../../src/sinks/kafka/librdkafka/errors.js';
import { loadLibrdkafka } from '../../src/sinks/kafka/librdkafka/load.js';
import { LibrdkafkaSink, type NativeProducer } from '../../src/sinks/kafka/librdkafka/sink.js';
import type { SinkObserver } from '../../src/sinks/record-sink.js';
import { testDelivery, testRecord } from '../support/deliveries.js';

// The real client's codes and texts: the sink is tested against what librdkafka reports.
const { errors } = loadLibrdkafka();
const packageRequire = createRequire(import.meta.url);
const CODES = (packageRequire('@confluentinc/kafka-javascript') as { CODES: { ERRORS: ErrorCodes } }).CODES
  .ERRORS;
const errorModule = packageRequire('@confluentinc/kafka-javascript/lib/error.js') as {
  create(from: number | Error): LibrdkafkaFailure;
};
const code = (name: string) => CODES[name] as number;
/** As in a delivery report or a thrown produce(): the code itself. */
const failure = (name: string): LibrdkafkaFailure => errorModule.create(code(name));
/** As the client's error events give it: librdkafka's text only, code -1. */
const eventError = (name: string): LibrdkafkaFailure =>
  errorModule.create(new Error(errorModule.create(code(name)).message));

type Produced = Parameters<NativeProducer['produce']>;
type ReportListener = (
  error: LibrdkafkaFailure | null | undefined,
  report: { topic: string; size: number; opaque?: unknown },
) => void;

/** librdkafka as the sink sees it: produce() queues or throws, reports come when the test says. */
class FakeProducer implements NativeProducer {
  readonly produced: Produced[] = [];
  queueRoom = Number.POSITIVE_INFINITY;
  disconnected = false;
  private reportListener: ReportListener = () => undefined;
  private errorListener: (error: LibrdkafkaFailure) => void = () => undefined;

  produce(...args: Produced): unknown {
    if (this.queueRoom <= 0) throw failure('ERR__QUEUE_FULL');
    this.queueRoom--;
    this.produced.push(args);
    return true;
  }

  on(
    event: 'delivery-report' | 'event.error',
    listener: ReportListener & ((error: LibrdkafkaFailure) => void),
  ) {
    if (event === 'delivery-report') this.reportListener = listener;
    else this.errorListener = listener;
    return this;
  }

  disconnect(_timeoutMs: number, callback: () => void): unknown {
    this.disconnected = true;
    callback();
    return this;
  }

  /** Reports the oldest unreported record, delivered or failed. */
  report(error?: LibrdkafkaFailure): void {
    const next = this.produced.shift();
    if (!next) throw new Error('nothing to report');
    this.queueRoom++;
    const [topic, , value, , , opaque] = next;
    this.reportListener(error ?? null, { topic, size: value?.length ?? 0, opaque });
  }

  clientError(error: LibrdkafkaFailure): void {
    this.errorListener(error);
  }
}

function record(key: string, overrides: Partial<OutboxRecord> = {}): OutboxRecord {
  return testRecord(key, {
    topic: 'orders',
    value: Buffer.from(`{"k":"${key}"}`),
    headers: { id: `id-${key}`, event_type: 'Placed' },
    eventType: 'Placed',
    timestampMs: 1_700_000_000_123,
    ...overrides,
  });
}

const delivery = (sent: OutboxRecord, acked: string[]): Delivery =>
  testDelivery(sent, { acknowledged: (topic) => acked.push(`${topic}:${sent.key}`) });

class RecordingObserver implements SinkObserver {
  readonly batches: Array<[number, number, number | undefined]> = [];
  readonly failures: Array<[string, number]> = [];
  recoveries = 0;
  batchSent(events: number, bytes: number, seconds: number | undefined): void {
    this.batches.push([events, bytes, seconds]);
  }
  sendFailed(error: KafkaSendError, attempt: number): void {
    this.failures.push([error.message, attempt]);
  }
  sendRecovered(): void {
    this.recoveries++;
  }
}

function setUp() {
  const producer = new FakeProducer();
  const observer = new RecordingObserver();
  const sink = new LibrdkafkaSink(producer, errors, observer, pino({ level: 'silent' }));
  return { producer, observer, sink, acked: [] as string[] };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('LibrdkafkaSink', () => {
  it('hands each record to librdkafka at once and acknowledges it from its own delivery report', async () => {
    const { producer, sink, acked, observer } = setUp();
    sink.enqueue(delivery(record('a'), acked));
    const b = delivery(record('b', { partition: 4, value: null, headers: {} }), acked);
    sink.enqueue(b);
    // librdkafka keeps the record; the report finds its receipt, and the relay keeps nothing of it.
    expect(producer.produced[1]?.[5]).toBe(b.receipt);
    expect(
      producer.produced.map(([topic, partition, value, key, timestamp, , headers]) => [
        topic,
        partition,
        value?.toString() ?? null,
        key,
        timestamp,
        headers,
      ]),
    ).toEqual([
      ['orders', -1, '{"k":"a"}', 'a', 1_700_000_000_123, [{ id: 'id-a' }, { event_type: 'Placed' }]],
      ['orders', 4, null, 'b', 1_700_000_000_123, undefined],
    ]);
    let idle = false;
    void sink.whenIdle().then(() => {
      idle = true;
    });
    producer.report();
    await turn();
    expect(acked).toEqual(['orders:a']);
    expect(idle).toBe(false);
    producer.report();
    await turn();
    expect(acked).toEqual(['orders:a', 'orders:b']);
    expect(idle).toBe(true);
    // One round per turn of the event loop, counting value bytes; one record at a time is timed.
    expect(observer.batches.map(([events, bytes]) => [events, bytes])).toEqual([
      [1, 9],
      [1, 0],
    ]);
    expect(observer.batches[0]?.[2]).toBeGreaterThanOrEqual(0);
    expect(observer.batches[1]?.[2]).toBeUndefined();
  });

  it('keeps records librdkafka refused (queue full) in order, and produces them as reports free room', () => {
    const { producer, sink, acked } = setUp();
    producer.queueRoom = 2;
    for (const key of ['a', 'b', 'c', 'd']) sink.enqueue(delivery(record(key), acked));
    expect(producer.produced.map((args) => args[3])).toEqual(['a', 'b']);
    producer.report();
    expect(producer.produced.map((args) => args[3])).toEqual(['b', 'c']);
    producer.report();
    producer.report();
    producer.report();
    expect(acked).toEqual(['orders:a', 'orders:b', 'orders:c', 'orders:d']);
  });

  it('fails for good on a record the broker refuses, acknowledging nothing of it', async () => {
    const { producer, sink, acked } = setUp();
    sink.enqueue(delivery(record('a'), acked));
    producer.report(failure('ERR_MSG_SIZE_TOO_LARGE'));
    const error = (await sink.failed.catch((e: unknown) => e)) as KafkaSendError;
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/MSG_SIZE_TOO_LARGE.*OUTBOX_MAX_RECORD_BYTES/);
    expect(acked).toEqual([]);
    sink.enqueue(delivery(record('b'), acked));
    expect(producer.produced).toHaveLength(0);
  });

  it('fails retriably on a fatal producer error: a new producer must resend from the slot', async () => {
    const { producer, sink, acked } = setUp();
    sink.enqueue(delivery(record('a'), acked));
    producer.clientError(eventError('ERR__FATAL'));
    const error = (await sink.failed.catch((e: unknown) => e)) as KafkaSendError;
    expect(error.retriable).toBe(true);
    await sink.whenIdle();
  });

  it('takes wrong credentials as fatal, naming the settings', async () => {
    const { producer, sink } = setUp();
    producer.clientError(eventError('ERR__AUTHENTICATION'));
    const error = (await sink.failed.catch((e: unknown) => e)) as KafkaSendError;
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('OUTBOX_KAFKA_SASL_PASSWORD');
  });

  it('reports Kafka unavailable while records wait on an unreachable broker, and recovered on the next delivery', async () => {
    const { producer, sink, acked, observer } = setUp();
    producer.clientError(eventError('ERR__TRANSPORT'));
    expect(observer.failures).toEqual([]);
    sink.enqueue(delivery(record('a'), acked));
    producer.clientError(eventError('ERR__ALL_BROKERS_DOWN'));
    producer.clientError(eventError('ERR__TRANSPORT'));
    expect(observer.failures.map(([, attempt]) => attempt)).toEqual([0, 1]);
    expect(observer.failures[0]?.[0]).toContain('ERR__ALL_BROKERS_DOWN');
    producer.report();
    expect(acked).toEqual(['orders:a']);
    expect(observer.recoveries).toBe(1);
    await sink.whenIdle();
  });

  it('ignores records handed back as purged when the producer closes', async () => {
    const { producer, sink, acked } = setUp();
    sink.enqueue(delivery(record('a'), acked));
    producer.report(failure('ERR__PURGE_QUEUE'));
    await sink.whenIdle();
    await sink.close();
    expect(producer.disconnected).toBe(true);
    expect(
      await Promise.race([
        sink.failed.then(
          () => 'failed',
          () => 'failed',
        ),
        turn().then(() => 'open'),
      ]),
    ).toBe('open');
  });
});
