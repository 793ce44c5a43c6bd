import { describe, expect, it } from 'vitest';
import { AvroEncodingSink } from '../../src/avro/avro-sink.js';
import { parseAvroSchema } from '../../src/avro/json-to-avro.js';
import type { ResolvedSchema, SchemaSource } from '../../src/avro/schema-source.js';
import { type PoisonEventError, SchemaRegistryError } from '../../src/errors.js';
import type { OutboxRecord } from '../../src/outbox/record.js';
import type { Delivery } from '../../src/sinks/delivery.js';
import type { RecordSink } from '../../src/sinks/record-sink.js';
import { testDelivery, testRecord } from '../support/deliveries.js';

const V1 = parseAvroSchema(
  JSON.stringify({ type: 'record', name: 'Paid', fields: [{ name: 'amount', type: 'int' }] }),
);
const V2 = parseAvroSchema(
  JSON.stringify({
    type: 'record',
    name: 'Paid',
    fields: [
      { name: 'amount', type: 'int' },
      { name: 'method', type: 'string', default: 'card' },
    ],
  }),
);

/** A schema source whose registry answers when the test says so. */
class ScriptedSchemas implements SchemaSource {
  readonly known = new Map<string, ResolvedSchema>();
  readonly asked: string[] = [];
  failures: SchemaRegistryError[] = [];
  pending: Array<() => void> = [];
  newerSchema: ResolvedSchema | undefined;

  async warmUp(): Promise<void> {}

  cached(record: OutboxRecord): ResolvedSchema | undefined {
    return this.known.get(record.topic);
  }

  async resolve(record: OutboxRecord): Promise<ResolvedSchema> {
    this.asked.push(record.topic);
    const failure = this.failures.shift();
    if (failure) throw failure;
    await new Promise<void>((resolve) => this.pending.push(resolve));
    const resolved = { subject: `${record.topic}-value`, id: 1, schema: V1 };
    this.known.set(record.topic, resolved);
    return resolved;
  }

  answer(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }

  mayHaveNewer(): boolean {
    return this.newerSchema !== undefined;
  }

  async newer(): Promise<ResolvedSchema | undefined> {
    return this.newerSchema;
  }
}

class RecordingSink implements RecordSink {
  readonly sent: Delivery[] = [];
  readonly failed = new Promise<never>(() => undefined);
  readonly mayDeadLetter = false;
  discarded = 0;
  enqueue(delivery: Delivery): void {
    this.sent.push(delivery);
  }
  async whenIdle(): Promise<void> {}
  discardQueued(): void {
    this.discarded++;
  }
  async close(): Promise<void> {}
}

function delivery(key: string, payload: unknown, topic = 'payments'): Delivery {
  const value = payload === null ? null : Buffer.from(JSON.stringify(payload));
  const record = testRecord(key, { topic, value, eventType: 'Paid', sizeBytes: 50 + (value?.length ?? 0) });
  return testDelivery(record, {
    deadLetter: (error: PoisonEventError) => ({ ...record, topic: 'dlq', headers: { error: error.message } }),
  });
}

const options = { maxRecordBytes: 1_000_000, retryMaxMs: 1 };
const quiet = { registryFailed: () => undefined, registryRecovered: () => undefined };
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
};

function schemaIdOf(sent: Delivery): number {
  return (sent.record.value as Buffer).readInt32BE(1);
}

describe('AvroEncodingSink', () => {
  it('holds later records behind one waiting for its schema, then sends all in order', async () => {
    const schemas = new ScriptedSchemas();
    schemas.known.set('refunds', { subject: 'refunds-value', id: 7, schema: V1 });
    const next = new RecordingSink();
    const sink = new AvroEncodingSink(next, schemas, options, quiet);
    sink.enqueue(delivery('a', { amount: 1 }));
    sink.enqueue(delivery('b', { amount: 2 }, 'refunds'));
    sink.enqueue(delivery('c', { amount: 3 }));
    await until(() => schemas.pending.length === 1);
    expect(next.sent).toHaveLength(0);
    schemas.answer();
    await until(() => next.sent.length === 3);
    expect(next.sent.map((sent) => sent.record.key)).toEqual(['a', 'b', 'c']);
    expect(next.sent.map(schemaIdOf)).toEqual([1, 7, 1]);
    expect(schemas.asked).toEqual(['payments']);
  });

  it('encodes at once, without the registry, once the schema is cached', () => {
    const schemas = new ScriptedSchemas();
    schemas.known.set('payments', { subject: 'payments-value', id: 3, schema: V1 });
    const next = new RecordingSink();
    new AvroEncodingSink(next, schemas, options, quiet).enqueue(delivery('a', { amount: 1 }));
    expect(next.sent).toHaveLength(1);
    const value = (next.sent[0] as Delivery).record.value as Buffer;
    expect(V1.type.fromBuffer(value.subarray(5))).toMatchObject({
      amount: 1,
    });
    expect(schemas.asked).toEqual([]);
  });

  it('puts the dead-letter record of a mismatching payload in its place, and passes tombstones through', () => {
    const schemas = new ScriptedSchemas();
    schemas.known.set('payments', { subject: 'payments-value', id: 3, schema: V1 });
    const next = new RecordingSink();
    const sink = new AvroEncodingSink(next, schemas, options, quiet);
    sink.enqueue(delivery('a', { amount: 'ten' }));
    sink.enqueue(delivery('b', null));
    sink.enqueue(delivery('c', { amount: 3 }));
    expect(next.sent.map((sent) => [sent.record.key, sent.record.topic])).toEqual([
      ['a', 'dlq'],
      ['b', 'payments'],
      ['c', 'payments'],
    ]);
    expect(next.sent[0]?.record.headers.error).toContain('field "amount" is "ten", not int');
    expect(next.sent[1]?.record.value).toBeNull();
  });

  it('tries a newer version of the subject before dead-lettering', async () => {
    const schemas = new ScriptedSchemas();
    schemas.known.set('payments', { subject: 'payments-value', id: 3, schema: V1 });
    schemas.newerSchema = { subject: 'payments-value', id: 4, schema: V2 };
    const next = new RecordingSink();
    const sink = new AvroEncodingSink(next, schemas, options, quiet);
    sink.enqueue(delivery('a', { amount: 1, method: 'cash' }));
    sink.enqueue(delivery('b', { amount: 2 }));
    await until(() => next.sent.length === 2);
    expect(next.sent.map(schemaIdOf)).toEqual([4, 3]);
  });

  it('retries an unreachable registry, reporting it, and fails on a refusal', async () => {
    const schemas = new ScriptedSchemas();
    schemas.failures = [
      new SchemaRegistryError('down', undefined, true),
      new SchemaRegistryError('down', 503, true),
    ];
    const failures: Array<number | undefined> = [];
    let recovered = 0;
    const next = new RecordingSink();
    const sink = new AvroEncodingSink(next, schemas, options, {
      registryFailed: (error) => failures.push(error.status),
      registryRecovered: () => recovered++,
    });
    sink.enqueue(delivery('a', { amount: 1 }));
    await until(() => schemas.pending.length === 1);
    schemas.answer();
    await until(() => next.sent.length === 1);
    expect(failures).toEqual([undefined, 503]);
    expect(recovered).toBe(1);

    schemas.failures = [new SchemaRegistryError('unauthorized', 401, false)];
    sink.enqueue(delivery('b', { amount: 2 }, 'refunds'));
    await expect(sink.failed).rejects.toThrow('unauthorized');
  });

  it('drops waiting records on discard, and goes on with the next session', async () => {
    const schemas = new ScriptedSchemas();
    const next = new RecordingSink();
    const sink = new AvroEncodingSink(next, schemas, options, quiet);
    sink.enqueue(delivery('old-1', { amount: 1 }));
    sink.enqueue(delivery('old-2', { amount: 2 }));
    await until(() => schemas.pending.length === 1);
    sink.discardQueued();
    expect(next.discarded).toBe(1);
    sink.enqueue(delivery('new', { amount: 3 }));
    schemas.answer();
    await until(() => next.sent.length === 1);
    await sink.whenIdle();
    expect(next.sent.map((sent) => sent.record.key)).toEqual(['new']);
  });
});
