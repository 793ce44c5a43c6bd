import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { PoisonEventError, SetupError } from '../../src/errors.js';
import { layoutFromConfig } from '../../src/outbox/layout.js';
import { compileRowMapper, isOutboxRelation } from '../../src/outbox/mapper.js';
import type { RelationMessage } from '../../src/replication/pgoutput/messages.js';
import { TupleView } from '../../src/replication/pgoutput/tuple.js';

const BASE_ENV = { DATABASE_URL: 'postgres://u:p@localhost:5432/db', KAFKA_BROKERS: 'localhost:9092' };

function relation(columns: string[], table = 'outbox'): RelationMessage {
  return {
    tag: 'relation',
    relationOid: 16384,
    schema: 'public',
    table,
    columns: columns.map((name) => ({ name, typeOid: 25, isKey: name === 'id' })),
  };
}

function row(values: Record<string, string | null>, columns: string[]): TupleView {
  return TupleView.of(
    columns.map((column) => {
      const value = values[column];
      return value === null || value === undefined ? null : Buffer.from(value);
    }),
  );
}

const DEFAULT_COLUMNS = [
  'id',
  'aggregate_type',
  'aggregate_id',
  'event_type',
  'payload',
  'headers',
  'created_at',
];
const COMMIT_MS = Date.UTC(2026, 10, 23, 9, 0, 0);

describe('default layout', () => {
  const layout = layoutFromConfig(loadConfig({ env: BASE_ENV }));
  const mapRow = compileRowMapper(layout, relation(DEFAULT_COLUMNS));

  it('routes by aggregate type, keys by aggregate id and keeps the payload bytes as stored', () => {
    const payload = '{"total": 12.50, "items": [1, 2]}';
    const record = mapRow(
      row(
        {
          id: '7d7b1f7a-1c1e-4a7e-9f47-6a0c0e4c9b11',
          aggregate_type: 'order',
          aggregate_id: 'order-42',
          event_type: 'OrderPlaced',
          payload,
          headers: '{"trace_id": "abc", "attempt": 2}',
          created_at: '2026-11-23 08:30:34.123456+00',
        },
        DEFAULT_COLUMNS,
      ),
      COMMIT_MS,
    );
    expect(record.topic).toBe('outbox.event.order');
    expect(record.key).toBe('order-42');
    expect(record.value?.toString()).toBe(payload);
    expect(record.headers).toEqual({
      id: '7d7b1f7a-1c1e-4a7e-9f47-6a0c0e4c9b11',
      event_type: 'OrderPlaced',
      trace_id: 'abc',
      attempt: '2',
    });
    expect(record.timestampMs).toBe(Date.UTC(2026, 10, 23, 8, 30, 34, 123));
    expect(record.sizeBytes).toBeGreaterThan(payload.length);
  });

  it('maps columns by name, whatever their order in the Relation message', () => {
    const shuffled = [
      'created_at',
      'payload',
      'aggregate_id',
      'extra',
      'headers',
      'event_type',
      'aggregate_type',
      'id',
    ];
    const record = compileRowMapper(layout, relation(shuffled))(
      row(
        { id: 'e1', aggregate_type: 'cart', aggregate_id: 'c1', event_type: 't', payload: '{}', extra: 'x' },
        shuffled,
      ),
      COMMIT_MS,
    );
    expect(record.topic).toBe('outbox.event.cart');
    expect(record.key).toBe('c1');
    expect(record.timestampMs).toBe(COMMIT_MS);
  });

  it('fails the whole relay, naming the column, when a required column is missing', () => {
    expect(() =>
      compileRowMapper(layout, relation(DEFAULT_COLUMNS.filter((c) => c !== 'aggregate_id'))),
    ).toThrow(SetupError);
    expect(() => compileRowMapper(layout, relation(DEFAULT_COLUMNS.filter((c) => c !== 'payload')))).toThrow(
      /"payload"/,
    );
  });

  it('treats a null key, a bad topic or malformed headers as a poison event', () => {
    const base = { id: 'e', aggregate_type: 'order', aggregate_id: 'a', event_type: 't', payload: '{}' };
    expect(() => mapRow(row({ ...base, aggregate_id: null }, DEFAULT_COLUMNS), COMMIT_MS)).toThrow(
      PoisonEventError,
    );
    expect(() => mapRow(row({ ...base, aggregate_type: 'has space' }, DEFAULT_COLUMNS), COMMIT_MS)).toThrow(
      /legal Kafka topic/,
    );
    expect(() => mapRow(row({ ...base, headers: '[1]' }, DEFAULT_COLUMNS), COMMIT_MS)).toThrow(/JSON object/);
  });

  it('recognises the configured table only', () => {
    expect(isOutboxRelation(layout, relation(DEFAULT_COLUMNS))).toBe(true);
    expect(isOutboxRelation(layout, relation(DEFAULT_COLUMNS, 'orders'))).toBe(false);
  });
});

describe('debezium preset', () => {
  const columns = ['id', 'aggregatetype', 'aggregateid', 'type', 'payload'];
  const layout = layoutFromConfig(loadConfig({ env: { ...BASE_ENV, OUTBOX_PRESET: 'debezium' } }));

  it("writes what Debezium's outbox event router writes by default", () => {
    const record = compileRowMapper(layout, relation(columns))(
      row(
        {
          id: 'f3b0c442-98fc-1c14-b39f-92d1282048c0',
          aggregatetype: 'Order',
          aggregateid: '1',
          type: 'OrderCreated',
          payload: '{"a": 1}',
        },
        columns,
      ),
      COMMIT_MS,
    );
    expect(record.topic).toBe('outbox.event.Order');
    expect(record.key).toBe('1');
    expect(record.value?.toString()).toBe('{"a": 1}');
    expect(record.headers).toEqual({ id: 'f3b0c442-98fc-1c14-b39f-92d1282048c0' });
    expect(record.timestampMs).toBe(COMMIT_MS);
  });

  it('offers the escaped JSON string encoding of the JsonConverter', () => {
    const escaped = layoutFromConfig(
      loadConfig({ env: { ...BASE_ENV, OUTBOX_PRESET: 'debezium', OUTBOX_VALUE_ENCODING: 'json-string' } }),
    );
    const record = compileRowMapper(escaped, relation(columns))(
      row({ id: 'i', aggregatetype: 'Order', aggregateid: '1', type: 't', payload: '{"a": "b"}' }, columns),
      COMMIT_MS,
    );
    expect(record.value?.toString()).toBe('"{\\"a\\": \\"b\\"}"');
  });

  it('places extra columns in headers or chooses the partition', () => {
    const withExtras = [...columns, 'tenant', 'shard'];
    const placed = layoutFromConfig(
      loadConfig({
        env: {
          ...BASE_ENV,
          OUTBOX_PRESET: 'debezium',
          OUTBOX_ADDITIONAL_PLACEMENT: 'type:header:eventType,tenant:header,shard:partition',
        },
      }),
    );
    const record = compileRowMapper(placed, relation(withExtras))(
      row(
        {
          id: 'i',
          aggregatetype: 'Order',
          aggregateid: '1',
          type: 'Created',
          payload: '{}',
          tenant: 'acme',
          shard: '2',
        },
        withExtras,
      ),
      COMMIT_MS,
    );
    expect(record.headers).toEqual({ id: 'i', eventType: 'Created', tenant: 'acme' });
    expect(record.partition).toBe(2);
  });

  it('migration profiles: JSON keys and headers, send-time timestamps, and Debezium Server ignores partition columns', () => {
    const withExtras = [...columns, 'tenant', 'shard'];
    const profile = layoutFromConfig(
      loadConfig({
        env: {
          ...BASE_ENV,
          OUTBOX_PRESET: 'debezium-server-json-plain',
          OUTBOX_ADDITIONAL_PLACEMENT: 'tenant:header,shard:partition',
        },
      }),
    );
    const record = compileRowMapper(profile, relation(withExtras))(
      row(
        {
          id: 'i',
          aggregatetype: 'Order',
          aggregateid: 'o-1',
          type: 't',
          payload: '{}',
          tenant: null,
          shard: '2',
        },
        withExtras,
      ),
      COMMIT_MS,
    );
    expect(record.key).toBe('"o-1"');
    expect(record.headers).toEqual({ id: '"i"', tenant: 'null' });
    expect(record.partition).toBeUndefined();
    expect(record.timestampMs).toBeUndefined();
  });

  it('string headers: a NULL column is a header with a null value', () => {
    const withTenant = [...columns, 'tenant'];
    const connect = layoutFromConfig(
      loadConfig({
        env: {
          ...BASE_ENV,
          OUTBOX_PRESET: 'debezium-connect-string',
          OUTBOX_ADDITIONAL_PLACEMENT: 'tenant:header',
        },
      }),
    );
    const record = compileRowMapper(connect, relation(withTenant))(
      row(
        { id: 'i', aggregatetype: 'Order', aggregateid: '1', type: 't', payload: '{}', tenant: null },
        withTenant,
      ),
      COMMIT_MS,
    );
    expect(record.headers).toEqual({ id: 'i', tenant: null });
  });
});
