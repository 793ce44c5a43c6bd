import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../../src/client/event.js';
import { allIdsSeen } from '../support/delivery-check.js';
import { type ConsumedRecord, consumeAll } from '../support/kafka.js';
import { ORM_CLIENTS, type OrmClient } from '../support/orm-clients.js';
import { useOutboxFixture } from '../support/relay-harness.js';
import { type RelayProcess, startRelayProcess } from '../support/relay-process.js';

/**
 * Each adapter of outbox-relay/client in its library's own transaction, against the real
 * PostgreSQL, with the relay running: what commits reaches Kafka in order, what rolls back never does.
 */
describe('publish API adapters, in a real transaction, through the running relay', () => {
  const outbox = useOutboxFixture('adapters');

  let relay: RelayProcess;

  beforeAll(async () => {
    await outbox.writer.sql.query('CREATE TABLE orders (id text PRIMARY KEY, total integer NOT NULL)');
    relay = startRelayProcess(['run'], outbox.fixture.env);
  });

  afterAll(async () => {
    relay?.kill('SIGTERM');
    expect(await relay?.exited, relay?.output()).toBe(0);
  });

  function events(aggregateType: string, orderId: string, source: string): OutboxEvent[] {
    const base = { aggregateType, aggregateId: orderId };
    return [
      { ...base, id: randomUUID(), eventType: 'OrderPlaced', payload: { orderId, total: 42 } },
      { ...base, id: randomUUID(), eventType: 'OrderShipped', payload: { orderId }, headers: { source } },
    ];
  }

  async function consumeIds(aggregateType: string, ids: string[]): Promise<ConsumedRecord[]> {
    return consumeAll(outbox.fixture.kafkaBrokers, [outbox.fixture.topic(aggregateType)], {
      until: allIdsSeen(ids),
      timeoutMs: 30_000,
    });
  }

  async function orderExists(id: string): Promise<boolean> {
    const { rowCount } = await outbox.writer.sql.query('SELECT 1 FROM orders WHERE id = $1', [id]);
    return rowCount === 1;
  }

  describe.each(ORM_CLIENTS.map((connect) => [connect.name.replace(/Client$/, ''), connect] as const))(
    '%s',
    (_name, connect) => {
      let client: OrmClient;
      beforeAll(async () => {
        client = await connect(outbox.fixture.databaseUrl);
      }, 120_000);
      afterAll(async () => {
        await client?.close();
      });

      it('commits two events with a business row: both reach Kafka in order, topic, key and headers right', async () => {
        const aggregateType = `commit_${client.name.replace(/\W/g, '_')}`;
        const order = { id: `order-${randomUUID()}`, total: 42 };
        const written = events(aggregateType, order.id, client.name);
        await client.transaction(order, written, 'commit');
        expect(await orderExists(order.id)).toBe(true);

        const records = await consumeIds(
          aggregateType,
          written.map((event) => event.id ?? ''),
        );
        expect(records.map((record) => record.headers.id)).toEqual(written.map((event) => event.id));
        expect(new Set(records.map((record) => record.topic))).toEqual(
          new Set([outbox.fixture.topic(aggregateType)]),
        );
        expect(records.map((record) => record.key)).toEqual([order.id, order.id]);
        expect(records.map((record) => record.headers.event_type)).toEqual(['OrderPlaced', 'OrderShipped']);
        expect(records[1]?.headers.source).toBe(client.name);
        expect(JSON.parse(records[0]?.value?.toString() ?? 'null')).toEqual({ orderId: order.id, total: 42 });
      });

      it('rolls back: neither the row nor its events exist, in PostgreSQL or in Kafka', async () => {
        const aggregateType = `rollback_${client.name.replace(/\W/g, '_')}`;
        const lost = { id: `order-${randomUUID()}`, total: 1 };
        await client.transaction(lost, events(aggregateType, lost.id, client.name), 'rollback');
        expect(await orderExists(lost.id)).toBe(false);
        // A committed marker after it: once the marker is in Kafka, the rolled-back events would be too.
        const kept = { id: `order-${randomUUID()}`, total: 2 };
        const marker = events(aggregateType, kept.id, client.name);
        await client.transaction(kept, marker, 'commit');
        const records = await consumeIds(
          aggregateType,
          marker.map((event) => event.id ?? ''),
        );
        expect(records.map((record) => record.key)).toEqual([kept.id, kept.id]);
      });
    },
  );
});
