import { randomUUID } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { OutboxRelay } from '../../src/relay/relay.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { consumeAll, uniqueTopicPrefix } from '../support/kafka.js';
import { KAFKA_CLIENT, OUTBOX_ENV } from '../support/outbox.js';
import { serviceUrls } from '../support/services.js';

/**
 * The record value is the payload column as stored, whatever its type: json, jsonb, text and
 * varchar as their text (UTF-8), bytea as its raw bytes; an empty value stays empty and only SQL
 * NULL is a Kafka null. The key is the key column's text (uuid, bigint), and a NULL header column
 * is a header with a null value, as Kafka Connect's SimpleHeaderConverter sends it (left out with
 * kafkajs, which cannot send one).
 */
interface TypeCase {
  readonly payloadType: string;
  readonly keyType: string;
  readonly keys: readonly string[];
  /** SQL literals (cast to the payload type); NULL included. */
  readonly payloads: readonly (string | null)[];
}

const CASES: readonly TypeCase[] = [
  {
    payloadType: 'jsonb',
    keyType: 'uuid',
    keys: [randomUUID(), randomUUID()],
    payloads: ['{"b": 1, "a": [1,2], "é": "🎉"}', 'null', null],
  },
  {
    payloadType: 'json',
    keyType: 'bigint',
    keys: ['1001', '-7'],
    payloads: ['{"b":1,  "a":2}', '"bare"', null],
  },
  {
    payloadType: 'text',
    keyType: 'varchar(64)',
    keys: ['k-1', 'ключ'],
    payloads: ['plain 🎉 text', '', null],
  },
  { payloadType: 'varchar(500)', keyType: 'uuid', keys: [randomUUID()], payloads: ['{"a":1}', '', null] },
  {
    payloadType: 'bytea',
    keyType: 'bigint',
    keys: ['9223372036854775807', '42'],
    payloads: ['\\x00ff10', '\\x', null],
  },
];

const TENANTS = ['acme', '', null] as const;

describe('column types: the payload as stored, keys as text, NULL headers as null', () => {
  const prefix = uniqueTopicPrefix();
  let database: TestDatabase;
  let client: pg.Client;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('column_types');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.stop()));
    await client?.end();
    await database?.drop();
  });

  for (const [index, typeCase] of CASES.entries()) {
    it(`${typeCase.payloadType} payloads, ${typeCase.keyType} keys`, async () => {
      const table = `types_${index}`;
      const slot = `${database.name}_${table}`;
      const aggregateType = `t${index}`;
      await client.query(`CREATE TABLE ${table} (
        id uuid PRIMARY KEY, aggregate_type text NOT NULL, aggregate_id ${typeCase.keyType} NOT NULL,
        event_type text, payload ${typeCase.payloadType}, tenant text)`);
      await client.query(`CREATE PUBLICATION ${slot} FOR TABLE ${table} WITH (publish = 'insert')`);
      await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
      const ids: string[] = [];
      for (const [row, payload] of typeCase.payloads.entries()) {
        const id = randomUUID();
        ids.push(id);
        await client.query(
          `INSERT INTO ${table} VALUES ($1, $2, $3, 'Typed', $4::${typeCase.payloadType}, $5)`,
          [
            id,
            aggregateType,
            typeCase.keys[row % typeCase.keys.length],
            payload,
            TENANTS[row % TENANTS.length],
          ],
        );
      }
      const relay = new OutboxRelay(
        loadConfig({
          env: {
            ...OUTBOX_ENV(database.url, serviceUrls().kafkaBrokers, slot),
            OUTBOX_TABLE: `public.${table}`,
            OUTBOX_TOPIC_TEMPLATE: `${prefix}.{aggregate_type}`,
            OUTBOX_COLUMN_HEADERS: '',
            OUTBOX_COLUMN_TIMESTAMP: '',
            OUTBOX_ADDITIONAL_PLACEMENT: 'tenant:header',
          },
        }),
        pino({ level: 'silent' }),
      );
      relays.push(relay);
      await relay.start();
      const records = await consumeAll(serviceUrls().kafkaBrokers, [`${prefix}.${aggregateType}`], {
        until: (read) => read.length >= ids.length,
        timeoutMs: 60_000,
      });
      // What PostgreSQL holds: text types as their text, bytea as bytes.
      const { rows } = await client.query<{
        id: string;
        key: string;
        payload: string | Buffer | null;
        tenant: string | null;
      }>(
        `SELECT id, aggregate_id::text AS key, ${typeCase.payloadType === 'bytea' ? 'payload' : 'payload::text'} AS payload, tenant FROM ${table}`,
      );
      const byId = new Map(records.map((record) => [record.headers.id, record]));
      expect(byId.size).toBe(ids.length);
      for (const row of rows) {
        const record = byId.get(row.id);
        expect(record?.key, `key of ${row.id}`).toBe(row.key);
        const expected =
          row.payload === null ? null : Buffer.isBuffer(row.payload) ? row.payload : Buffer.from(row.payload);
        expect(record?.value, `value of ${JSON.stringify(row.payload)}`).toEqual(expected);
        const tenant = record?.headerList.find(([name]) => name === 'tenant');
        if (row.tenant === null && KAFKA_CLIENT === 'kafkajs') {
          // kafkajs cannot send a null header value (src/sinks/kafka/kafkajs/topic-messages.ts).
          expect(tenant, 'no tenant header with kafkajs').toBeUndefined();
        } else {
          expect(tenant, 'a NULL column is still a header').toBeDefined();
          expect(tenant?.[1]?.toString() ?? null, `tenant header of ${JSON.stringify(row.tenant)}`).toBe(
            row.tenant,
          );
        }
      }
    });
  }
});
