import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLsn } from '../../src/replication/lsn.js';
import { type ConsumedRecord, consumeAll } from '../support/kafka.js';
import type { EventRow } from '../support/outbox.js';
import { useOutboxFixture } from '../support/relay-harness.js';
import { runRelayCommand, startRelayProcess } from '../support/relay-process.js';
import {
  RegistryRest,
  startSchemaRegistry,
  stopSchemaRegistryContainer,
} from '../support/schema-registry.js';
import { waitFor } from '../support/wait-for.js';

/** Record names are global to the registry (RecordNameStrategy): a namespace per run keeps runs apart. */
const NAMESPACE = `test.avro.r${randomBytes(4).toString('hex')}`;

const ORDER_PLACED = {
  type: 'record',
  name: 'OrderPlaced',
  namespace: NAMESPACE,
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'total', type: 'double' },
    { name: 'items', type: { type: 'array', items: 'string' } },
    { name: 'coupon', type: ['null', 'string'], default: null },
  ],
};

const CUSTOMER_REGISTERED = {
  type: 'record',
  name: 'CustomerRegistered',
  namespace: NAMESPACE,
  fields: [
    { name: 'customerId', type: 'string' },
    { name: 'email', type: 'string' },
    { name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['BASIC', 'GOLD'] } },
  ],
};

const PAYMENT_V1 = {
  type: 'record',
  name: 'PaymentTaken',
  namespace: NAMESPACE,
  fields: [
    { name: 'paymentId', type: 'string' },
    { name: 'amountCents', type: 'long' },
  ],
};

/** Version 2 adds a field with a default: backward compatible, so the registry accepts it. */
const PAYMENT_V2 = {
  ...PAYMENT_V1,
  fields: [...PAYMENT_V1.fields, { name: 'method', type: 'string', default: 'card' }],
};

const order = (n: number): EventRow => ({
  aggregateType: 'order',
  aggregateId: `order-${n % 7}`,
  eventType: 'OrderPlaced',
  payload: { orderId: `o-${n}`, total: n + 0.25, items: [`sku-${n}`], coupon: n % 3 === 0 ? 'SPRING' : null },
});

const customer = (n: number): EventRow => ({
  aggregateType: 'customer',
  aggregateId: `customer-${n % 5}`,
  eventType: 'CustomerRegistered',
  payload: { customerId: `c-${n}`, email: `c${n}@example.com`, tier: n % 2 ? 'GOLD' : 'BASIC' },
});

describe('avro: payloads as Confluent-framed Avro, schemas in a real registry', () => {
  const outbox = useOutboxFixture('avro');
  let registryUrl = '';
  let rest: RegistryRest;
  let decoder: SchemaRegistry;
  let schemasDir = '';

  beforeAll(async () => {
    registryUrl = await startSchemaRegistry();
    rest = new RegistryRest(registryUrl);
    // The independent decoder: the registry client most Node consumers use, fetching schemas by id.
    decoder = new SchemaRegistry({ host: registryUrl });
    schemasDir = await mkdtemp(join(tmpdir(), 'outbox-avro-'));
    await writeFile(join(schemasDir, 'OrderPlaced.avsc'), JSON.stringify(ORDER_PLACED, null, 2));
    await writeFile(
      join(schemasDir, 'CustomerRegistered.avsc'),
      JSON.stringify(CUSTOMER_REGISTERED, null, 2),
    );
  }, 180_000);

  afterAll(async () => {
    await rm(schemasDir, { recursive: true, force: true });
    await stopSchemaRegistryContainer();
  });

  const avroEnv = (extra: Record<string, string> = {}) => ({
    OUTBOX_VALUE_ENCODING: 'avro',
    OUTBOX_SCHEMA_REGISTRY_URL: registryUrl,
    OUTBOX_DLQ_TOPIC: outbox.fixture.topic('dlq'),
    ...extra,
  });

  it('relays two event types from .avsc files under <topic>-value subjects, each decoding to its payload', async () => {
    const relay = await outbox.fixture.startRelay(
      avroEnv({ OUTBOX_AVRO_SCHEMAS_DIR: schemasDir, OUTBOX_AVRO_REGISTER: 'true' }),
    );
    const rows = Array.from({ length: 60 }, (_, n) => (n % 2 ? order(n) : customer(n)));
    const ids = [
      ...(await outbox.writer.events(rows.slice(0, 30))),
      ...(await outbox.writer.events(rows.slice(30))),
    ];
    const byId = new Map(ids.map((id, index) => [id, rows[index] as EventRow]));

    const topics = [outbox.fixture.topic('order'), outbox.fixture.topic('customer')];
    const records = await consumeAll(outbox.fixture.kafkaBrokers, topics, {
      until: (received) => received.length >= rows.length,
      timeoutMs: 30_000,
    });
    expect(records).toHaveLength(rows.length);
    for (const record of records) {
      const row = byId.get(record.headers.id ?? '') as EventRow;
      expect(record.topic).toBe(outbox.fixture.topic(row.aggregateType));
      expect(record.key).toBe(row.aggregateId);
      expect(record.headers.event_type).toBe(row.eventType);
      expect(record.value?.[0]).toBe(0);
      expect({ ...(await decoder.decode(record.value as Buffer)) }).toEqual(row.payload);
    }

    for (const topic of topics) {
      expect(await rest.versions(`${topic}-value`)).toEqual([1]);
      const id = await rest.idOf(`${topic}-value`, 1);
      const onTopic = records.filter((record) => record.topic === topic);
      expect(new Set(onTopic.map((record) => record.value?.readInt32BE(1)))).toEqual(new Set([id]));
    }
    await relay.stop();
  });

  it('sends a payload that violates its schema to the dead-letter topic with the error, and goes on', async () => {
    const relay = await outbox.fixture.startRelay(
      avroEnv({ OUTBOX_AVRO_SCHEMAS_DIR: schemasDir, OUTBOX_AVRO_REGISTER: 'true' }),
    );
    const acknowledged: string[] = [];
    const deadLettered: string[] = [];
    relay.on('events:acknowledged', (topic, events) =>
      acknowledged.push(...Array<string>(events).fill(topic)),
    );
    relay.on('event:dead-lettered', (reason) => deadLettered.push(reason));
    const { rows: clock } = await outbox.writer.sql.query<{ now: string }>('SELECT now()::text AS now');
    const missingField = { ...order(100), payload: { orderId: 'o-100', items: [] } };
    const wrongType = { ...order(101), payload: { orderId: 'o-101', total: 'ten', items: [] } };
    const ids = await outbox.writer.events([order(99), missingField, wrongType, order(102)]);
    const later = await outbox.writer.events([order(103)]);

    const [dlq, orders] = [outbox.fixture.topic('dlq'), outbox.fixture.topic('order')];
    const dlqRow = (record: ConsumedRecord) =>
      JSON.parse(record.value?.toString() ?? '{}') as { id?: string };
    const records = await consumeAll(outbox.fixture.kafkaBrokers, [dlq, orders], {
      until: (received) =>
        [ids[0], ids[3], later[0]].every((id) => received.some((record) => record.headers.id === id)) &&
        received.filter((record) => record.topic === dlq).length >= 2,
      timeoutMs: 30_000,
    });
    const find = (id: string | undefined) => records.filter((record) => record.headers.id === id);
    const inDlq = records
      .filter((record) => record.topic === dlq)
      .sort((a, b) => ids.indexOf(dlqRow(a).id ?? '') - ids.indexOf(dlqRow(b).id ?? ''));
    expect(inDlq.map(dlqRow).map((row) => row.id)).toEqual([ids[1], ids[2]]);
    expect(inDlq.map((record) => record.headers['outbox.error.reason'])).toEqual([
      'schema-mismatch',
      'schema-mismatch',
    ]);
    expect(inDlq[0]?.headers['outbox.error']).toContain('field "total" is missing');
    expect(inDlq[1]?.headers['outbox.error']).toContain('field "total" is "ten", not double');
    expect(inDlq[0]?.headers['outbox.original.topic']).toBe(orders);
    // Metrics count them as dead-lettered, and as published under the dead-letter topic.
    expect(deadLettered).toEqual(['schema-mismatch', 'schema-mismatch']);
    await waitFor(() => acknowledged.length === 5, { message: 'five acknowledgements' });
    expect(acknowledged.filter((topic) => topic === dlq)).toHaveLength(2);
    // The dead-letter record keeps the row as written, payload included.
    expect(JSON.parse(inDlq[1]?.value?.toString() ?? '{}')).toMatchObject({
      id: ids[2],
      aggregate_id: 'order-3',
    });
    for (const id of [ids[0], ids[3], later[0]]) {
      const [record] = find(id);
      expect(record?.topic).toBe(orders);
      expect(await decoder.decode(record?.value as Buffer)).toMatchObject({ items: expect.any(Array) });
    }
    await relay.stop();

    // `replay` goes through the same Avro stage: the same framed values, the same dead letters.
    const replayed = await runRelayCommand(['replay', '--since', clock[0]?.now ?? ''], {
      ...outbox.fixture.env,
      ...avroEnv({ OUTBOX_AVRO_SCHEMAS_DIR: schemasDir }),
    });
    expect(replayed.code, replayed.output).toBe(0);
    const twice = await consumeAll(outbox.fixture.kafkaBrokers, [dlq, orders], {
      until: (received) =>
        [ids[0], ids[3], later[0]].every(
          (id) => received.filter((record) => record.headers.id === id).length >= 2,
        ) && received.filter((record) => record.topic === dlq).length >= 4,
      timeoutMs: 30_000,
      toEnd: true,
    });
    for (const id of [ids[0], ids[3], later[0]]) {
      const [streamed, again, ...more] = twice.filter((record) => record.headers.id === id);
      expect(more).toEqual([]);
      expect(again?.value).toEqual(streamed?.value);
      expect(again?.partition).toBe(streamed?.partition);
    }
    const replayedDlq = twice.filter((record) => record.topic === dlq);
    expect(
      replayedDlq
        .map(dlqRow)
        .map((row) => row.id)
        .sort(),
    ).toEqual([ids[1], ids[1], ids[2], ids[2]].sort());
    expect(new Set(replayedDlq.map((record) => record.headers['outbox.error.reason']))).toEqual(
      new Set(['schema-mismatch']),
    );
  });

  it('exactly-once: Avro records and their dead letters commit with the checkpoint; a relay killed and restarted sends none twice', {
    timeout: 120_000,
  }, async () => {
    const env = {
      ...outbox.fixture.env,
      ...avroEnv({ OUTBOX_AVRO_SCHEMAS_DIR: schemasDir, OUTBOX_AVRO_REGISTER: 'true' }),
      OUTBOX_DELIVERY: 'exactly-once',
      OUTBOX_CHECKPOINT_TOPIC: outbox.fixture.topic('checkpoints'),
      OUTBOX_LOG_LEVEL: 'info',
      // The slot confirms nothing before the kill: the restart is sent everything again.
      OUTBOX_STATUS_INTERVAL_MS: '30000',
    };
    const [dlq, orders] = [outbox.fixture.topic('dlq'), outbox.fixture.topic('order')];
    const invalid = { ...order(301), payload: { orderId: 'o-301', items: [] } };
    const ids = await outbox.writer.events([order(300), invalid, order(302)]);
    const seenOnce = (received: readonly ConsumedRecord[], wanted: readonly string[]) =>
      wanted.every((id) =>
        received.some((record) => record.headers.id === id || record.value?.toString().includes(id)),
      );
    const first = startRelayProcess(['run'], env);
    await consumeAll(outbox.fixture.kafkaBrokers, [dlq, orders], {
      until: (received) => seenOnce(received, ids),
      timeoutMs: 30_000,
    });
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    const later = await outbox.writer.events([order(303)]);
    const second = startRelayProcess(['run'], env);
    const records = await consumeAll(outbox.fixture.kafkaBrokers, [dlq, orders], {
      until: (received) => seenOnce(received, [...ids, ...later]),
      timeoutMs: 30_000,
      toEnd: true,
    });
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/"skipped":3\b/);
    const ours = records.filter((record) =>
      [...ids, ...later].some((id) => record.headers.id === id || record.value?.toString().includes(id)),
    );
    // Each once (the orders are on different partitions: no order across them to compare).
    const published = ours.filter((record) => record.topic === orders).map((record) => record.headers.id);
    expect(published.sort()).toEqual([ids[0], ids[2], later[0]].sort());
    const deadLetters = ours.filter((record) => record.topic === dlq);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.headers['outbox.error.reason']).toBe('schema-mismatch');
    for (const record of ours.filter((candidate) => candidate.topic === orders)) {
      expect(await decoder.decode(record.value as Buffer)).toMatchObject({ items: expect.any(Array) });
    }
  });

  it("follows a backward-compatible new version of a subject's latest schema mid-stream; old and new records decode", async () => {
    const topic = outbox.fixture.topic('payment');
    const subject = `${topic}-value`;
    const v1 = await rest.register(subject, PAYMENT_V1);
    const relay = await outbox.fixture.startRelay(avroEnv());
    const payment = (n: number, payload: object): EventRow => ({
      aggregateType: 'payment',
      aggregateId: `payment-${n % 3}`,
      eventType: 'PaymentTaken',
      payload: { paymentId: `p-${n}`, amountCents: 1000 + n, ...payload },
    });
    const before = await outbox.writer.events([0, 1, 2].map((n) => payment(n, {})));
    // Relayed with v1 before v2 exists.
    await consumeAll(outbox.fixture.kafkaBrokers, [topic], {
      until: (received) => received.length >= before.length,
      timeoutMs: 30_000,
    });

    const v2 = await rest.register(subject, PAYMENT_V2);
    expect(v2).not.toBe(v1);
    const after = await outbox.writer.events([
      payment(3, { method: 'cash' }),
      payment(4, {}),
      payment(5, { method: 'voucher' }),
    ]);

    const records = await consumeAll(outbox.fixture.kafkaBrokers, [topic], {
      until: (received) => received.length >= 6,
      timeoutMs: 30_000,
    });
    const idOf = (eventId: string | undefined) =>
      records.find((record) => record.headers.id === eventId)?.value?.readInt32BE(1);
    expect(before.map(idOf)).toEqual([v1, v1, v1]);
    // The first payload with the new field made the relay read the latest version again.
    expect(after.map(idOf)).toEqual([v2, v2, v2]);

    const decoded = await Promise.all(
      records.map(async (record) => ({ ...(await decoder.decode(record.value as Buffer)) })),
    );
    decoded.sort((a, b) => a.amountCents - b.amountCents);
    expect(decoded).toEqual([
      { paymentId: 'p-0', amountCents: 1000 },
      { paymentId: 'p-1', amountCents: 1001 },
      { paymentId: 'p-2', amountCents: 1002 },
      { paymentId: 'p-3', amountCents: 1003, method: 'cash' },
      { paymentId: 'p-4', amountCents: 1004, method: 'card' },
      { paymentId: 'p-5', amountCents: 1005, method: 'voucher' },
    ]);
    expect(await rest.versions(subject)).toEqual([1, 2]);
    await relay.stop();
  });
  it('takes a new version of a .avsc file at restart, registering it; old and new records decode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outbox-avro-evolve-'));
    const topic = outbox.fixture.topic('refund');
    const refund = (n: number, payload: object): EventRow => ({
      aggregateType: 'refund',
      aggregateId: `refund-${n % 2}`,
      eventType: 'PaymentTaken',
      payload: { paymentId: `r-${n}`, amountCents: n, ...payload },
    });
    const settings = avroEnv({ OUTBOX_AVRO_SCHEMAS_DIR: dir, OUTBOX_AVRO_REGISTER: 'true' });
    try {
      await writeFile(join(dir, 'PaymentTaken.avsc'), JSON.stringify(PAYMENT_V1));
      const first = await outbox.fixture.startRelay(settings);
      const before = await outbox.writer.events([refund(1, {}), refund(2, {})]);
      await consumeAll(outbox.fixture.kafkaBrokers, [topic], {
        until: (r) => r.length >= 2,
        timeoutMs: 30_000,
      });
      await first.stop();

      // A rolling deploy: the file gains a field with a default, and the relay restarts.
      await writeFile(join(dir, 'PaymentTaken.avsc'), JSON.stringify(PAYMENT_V2));
      const second = await outbox.fixture.startRelay(settings);
      const after = await outbox.writer.events([refund(3, { method: 'wire' }), refund(4, {})]);
      const records = await consumeAll(outbox.fixture.kafkaBrokers, [topic], {
        until: (received) => received.length >= 4,
        timeoutMs: 30_000,
      });
      const [v1, v2] = [await rest.idOf(`${topic}-value`, 1), await rest.idOf(`${topic}-value`, 2)];
      const idOf = (eventId: string | undefined) =>
        records.find((record) => record.headers.id === eventId)?.value?.readInt32BE(1);
      expect([...before, ...after].map(idOf)).toEqual([v1, v1, v2, v2]);
      const decoded = await Promise.all(
        records.map(async (record) => ({ ...(await decoder.decode(record.value as Buffer)) })),
      );
      expect(decoded.sort((a, b) => a.amountCents - b.amountCents)).toEqual([
        { paymentId: 'r-1', amountCents: 1 },
        { paymentId: 'r-2', amountCents: 2 },
        { paymentId: 'r-3', amountCents: 3, method: 'wire' },
        { paymentId: 'r-4', amountCents: 4, method: 'card' },
      ]);
      await second.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names subjects after the records under RecordNameStrategy, so two event types can share a topic', async () => {
    const relay = await outbox.fixture.startRelay(
      avroEnv({
        OUTBOX_AVRO_SCHEMAS_DIR: schemasDir,
        OUTBOX_AVRO_REGISTER: 'true',
        OUTBOX_AVRO_SUBJECT_STRATEGY: 'record',
      }),
    );
    // Registered at start-up: under this strategy every subject is known before the first event.
    for (const name of ['OrderPlaced', 'CustomerRegistered']) {
      expect(await rest.versions(`${NAMESPACE}.${name}`)).toEqual([1]);
    }
    const rows = [order(1), customer(2), order(3)].map((row) => ({ ...row, aggregateType: 'mixed' }));
    const ids = await outbox.writer.events(rows);
    const records = await consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic('mixed')], {
      until: (received) => received.length >= rows.length,
      timeoutMs: 30_000,
    });
    for (const record of records) {
      const row = rows[ids.indexOf(record.headers.id ?? '')] as EventRow;
      expect({ ...(await decoder.decode(record.value as Buffer)) }).toEqual(row.payload);
      expect(record.value?.readInt32BE(1)).toBe(await rest.idOf(`${NAMESPACE}.${row.eventType}`, 1));
    }
    await relay.stop();
  });

  it('stops, confirming nothing past it, at a schema the registry does not know while registering is off', async () => {
    const relay = await outbox.fixture.startRelay(avroEnv({ OUTBOX_AVRO_SCHEMAS_DIR: schemasDir }));
    const { rows } = await outbox.writer.sql.query<{ lsn: string }>(
      'SELECT pg_current_wal_lsn()::text AS lsn',
    );
    const before = parseLsn(rows[0]?.lsn ?? '');
    const [id] = await outbox.writer.events([{ ...order(7), aggregateType: 'unregistered' }]);
    await expect(relay.done).rejects.toThrow(
      /the schema is not registered under .*unregistered-value.*OUTBOX_AVRO_REGISTER=true/,
    );
    expect(relay.state).toBe('failed');
    expect(await outbox.fixture.confirmedFlushLsn()).toBeLessThanOrEqual(before);

    // Nothing was lost: `outbox-relay run --register` registers the schema and publishes the event.
    const cli = startRelayProcess(['run', '--register'], {
      ...outbox.fixture.env,
      ...avroEnv({ OUTBOX_AVRO_SCHEMAS_DIR: schemasDir }),
    });
    const records = await consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic('unregistered')], {
      until: (received) => received.some((record) => record.headers.id === id),
      timeoutMs: 30_000,
    });
    expect(records.map((record) => record.headers.id)).toEqual([id]);
    cli.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('refuses to start when the registry does not answer, naming the setting', async () => {
    await expect(
      outbox.fixture.startRelay(
        avroEnv({ OUTBOX_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9/apis/ccompat/v7' }),
      ),
    ).rejects.toThrow(
      /cannot reach the schema registry at http:\/\/127\.0\.0\.1:9.*OUTBOX_SCHEMA_REGISTRY_URL/,
    );
  });
});
