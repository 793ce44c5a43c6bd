import type { TopicMessages } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { OutboxRecord } from '../../src/outbox/record.js';
import type { Delivery } from '../../src/sinks/delivery.js';
import type { BatchProducer } from '../../src/sinks/kafka/kafkajs/producer.js';
import { kafkajsSink } from '../../src/sinks/kafka/kafkajs/sink.js';
import { testDelivery, testRecord } from '../support/deliveries.js';

/** A producer whose sends resolve or fail when the test says so. */
class ScriptedProducer implements BatchProducer {
  readonly sends: TopicMessages[][] = [];
  resets = 0;
  inFlight = 0;
  maxInFlight = 0;
  private pending: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  send(batch: TopicMessages[]): Promise<void> {
    this.sends.push(batch);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve, reject) => {
      this.pending.push({
        resolve: () => {
          this.inFlight--;
          resolve();
        },
        reject: (error) => {
          this.inFlight--;
          reject(error);
        },
      });
    });
  }

  async reset(): Promise<void> {
    this.resets++;
  }

  async disconnect(): Promise<void> {}

  acknowledgeNext(): void {
    this.pending.shift()?.resolve();
  }

  failNext(error: unknown): void {
    this.pending.shift()?.reject(error);
  }
}

const record = (key: string, topic = 't', sizeBytes = 100): OutboxRecord =>
  testRecord(key, { topic, sizeBytes });

const tick = () => new Promise((resolve) => setImmediate(resolve));
const options = { batchMaxEvents: 3, batchMaxBytes: 10_000, batchLingerMs: 0, retryMaxMs: 1 };
const quiet = { batchSent: () => undefined, sendFailed: () => undefined, sendRecovered: () => undefined };

const delivery = (sent: OutboxRecord, acked: string[] = []): Delivery =>
  testDelivery(sent, { acknowledged: () => acked.push(sent.key) });

function deliveries(keys: string[], acked: string[]): Delivery[] {
  return keys.map((key) => delivery(record(key), acked));
}

describe('kafkajs sink', () => {
  it('keeps one send in flight and batches what arrives meanwhile, in order', async () => {
    const producer = new ScriptedProducer();
    const sink = kafkajsSink(producer, options, quiet);
    const acked: string[] = [];
    for (const delivery of deliveries(['a', 'b', 'c', 'd', 'e', 'f', 'g'], acked)) sink.enqueue(delivery);
    await tick();
    expect(producer.sends).toHaveLength(1);
    expect(producer.sends[0]?.[0]?.messages.map((m) => m.key)).toEqual(['a']);
    producer.acknowledgeNext();
    await tick();
    expect(acked).toEqual(['a']);
    expect(producer.sends[1]?.[0]?.messages.map((m) => m.key)).toEqual(['b', 'c', 'd']);
    producer.acknowledgeNext();
    await tick();
    producer.acknowledgeNext();
    await tick();
    expect(producer.sends[2]?.[0]?.messages.map((m) => m.key)).toEqual(['e', 'f', 'g']);
    expect(acked).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(producer.maxInFlight).toBe(1);
    await sink.whenIdle();
  });

  it('resends the same batch after a retriable failure and acknowledges only after success', async () => {
    const producer = new ScriptedProducer();
    const failures: number[] = [];
    let recovered = 0;
    const sink = kafkajsSink(producer, options, {
      ...quiet,
      sendFailed: (_, attempt) => failures.push(attempt),
      sendRecovered: () => recovered++,
    });
    const acked: string[] = [];
    for (const delivery of deliveries(['a'], acked)) sink.enqueue(delivery);
    await tick();
    producer.failNext(
      Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError', retriable: true }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(acked).toEqual([]);
    expect(producer.resets).toBe(1);
    expect(producer.sends).toHaveLength(2);
    expect(producer.sends[1]).toEqual(producer.sends[0]);
    producer.acknowledgeNext();
    await sink.whenIdle();
    expect(acked).toEqual(['a']);
    expect(failures).toEqual([0]);
    expect(recovered).toBe(1);
  });

  it('fails, acknowledging nothing, on an error no resend can fix', async () => {
    const producer = new ScriptedProducer();
    const sink = kafkajsSink(producer, options, quiet);
    const acked: string[] = [];
    for (const delivery of deliveries(['a'], acked)) sink.enqueue(delivery);
    await tick();
    producer.failNext({
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE',
      message: 'too large',
      retriable: false,
    });
    await expect(sink.failed).rejects.toThrow(/too large/);
    expect(acked).toEqual([]);
  });

  it('bounds a batch by bytes but always sends at least one record', async () => {
    const producer = new ScriptedProducer();
    const sink = kafkajsSink(producer, { ...options, batchMaxEvents: 100, batchMaxBytes: 250 }, quiet);
    for (const sent of [record('big', 't', 1000), record('x'), record('y'), record('z')]) {
      sink.enqueue(delivery(sent));
    }
    await tick();
    producer.acknowledgeNext();
    await tick();
    expect(producer.sends.map((batch) => batch.flatMap((t) => t.messages.map((m) => m.key)))).toEqual([
      ['big'],
      ['x', 'y'],
    ]);
    producer.acknowledgeNext();
    await tick();
    producer.acknowledgeNext();
    await sink.whenIdle();
  });

  it('groups a batch by topic, keeping each topic in order', async () => {
    const producer = new ScriptedProducer();
    const sink = kafkajsSink(producer, { ...options, batchLingerMs: 5 }, quiet);
    for (const [key, topic] of [
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'a'],
    ] as const) {
      sink.enqueue(delivery(record(key, topic)));
    }
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(producer.sends[0]?.map((t) => [t.topic, t.messages.map((m) => m.key)])).toEqual([
      ['a', ['1', '3']],
      ['b', ['2']],
    ]);
    producer.acknowledgeNext();
    await sink.whenIdle();
  });
});
