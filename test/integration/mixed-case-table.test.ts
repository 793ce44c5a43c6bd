import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgOutbox } from '../../src/client/adapters/pg.js';
import type { PublisherTable } from '../../src/client/publisher-table.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { allIdsSeen } from '../support/delivery-check.js';
import { consumeAll, uniqueTopicPrefix } from '../support/kafka.js';
import { KAFKA_CLIENT } from '../support/outbox.js';
import { runRelayCommand, startRelayProcess } from '../support/relay-process.js';
import { serviceUrls } from '../support/services.js';

/** The table Prisma makes of `model OutboxEvent` in schema "App": mixed-case names, quoted. */
const PRISMA_TABLE = `
  CREATE SCHEMA "App";
  CREATE TABLE "App"."OutboxEvent" (
    "id" uuid PRIMARY KEY,
    "aggregateType" text NOT NULL,
    "aggregateId" text NOT NULL,
    "type" text NOT NULL,
    "payload" jsonb NOT NULL,
    "createdAt" timestamptz NOT NULL DEFAULT now()
  )`;

describe('an outbox table with quoted, mixed-case names (as Prisma and TypeORM make them)', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  const topicPrefix = uniqueTopicPrefix();

  beforeAll(async () => {
    database = await createTestDatabase('mixedcase');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(PRISMA_TABLE);
    await client.end();
    const slot = `slot_${database.name}`;
    env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: serviceUrls().kafkaBrokers,
      OUTBOX_KAFKA_CLIENT: KAFKA_CLIENT,
      OUTBOX_SLOT: slot,
      OUTBOX_PUBLICATION: slot,
      OUTBOX_TABLE: '"App"."OutboxEvent"',
      OUTBOX_COLUMN_AGGREGATE_TYPE: 'aggregateType',
      OUTBOX_COLUMN_AGGREGATE_ID: '"aggregateId"',
      OUTBOX_COLUMN_EVENT_TYPE: 'type',
      OUTBOX_COLUMN_HEADERS: '',
      OUTBOX_COLUMN_TIMESTAMP: 'createdAt',
      OUTBOX_TOPIC_TEMPLATE: `${topicPrefix}.{aggregateType}`,
      OUTBOX_LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('init, status and run accept it, and its events reach Kafka', async () => {
    const init = await runRelayCommand(['init'], env);
    expect(init.code, init.output).toBe(0);
    expect(init.output).toMatch(/publication/);
    const status = await runRelayCommand(['status'], env);
    expect(status.code, status.output).toBe(0);

    const relay = startRelayProcess(['run'], env);
    try {
      const layout: PublisherTable = {
        table: '"App"."OutboxEvent"',
        columns: {
          id: 'id',
          aggregateType: 'aggregateType',
          aggregateId: 'aggregateId',
          eventType: 'type',
          payload: 'payload',
        },
      };
      const outbox = pgOutbox({ layout });
      const events = [1, 2].map((n) => ({
        id: randomUUID(),
        aggregateType: 'invoice',
        aggregateId: 'inv-1',
        eventType: n === 1 ? 'InvoiceIssued' : 'InvoicePaid',
        payload: { n },
      }));
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query('BEGIN');
      await outbox.publish(client, events);
      await client.query('COMMIT');
      await client.end();

      const records = await consumeAll(env.KAFKA_BROKERS ?? '', [`${topicPrefix}.invoice`], {
        until: allIdsSeen(events.map((event) => event.id)),
        timeoutMs: 30_000,
      });
      expect(records.map((record) => record.headers.id)).toEqual(events.map((event) => event.id));
      expect(records.map((record) => record.key)).toEqual(['inv-1', 'inv-1']);
    } finally {
      relay.kill('SIGTERM');
      expect(await relay.exited, relay.output()).toBe(0);
    }
  });
});
