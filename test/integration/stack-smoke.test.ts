import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { consumeAll, createTopics, deleteTopics, kafkaClient, uniqueTopicPrefix } from '../support/kafka.js';
import { serviceUrls } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

// The services the other integration tests rely on really work: logical replication end to end, and Kafka.
describe('stack smoke', () => {
  let database: TestDatabase | undefined;

  afterAll(async () => {
    await database?.drop();
  });

  it('streams an inserted row through a pgoutput slot', async () => {
    database = await createTestDatabase('smoke');
    const note = `smoke ${randomUUID()}`;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (id serial PRIMARY KEY, note text NOT NULL)');
      // The publication before the slot (see the brief: the other order can fail for ever on PostgreSQL < 18).
      await client.query("CREATE PUBLICATION smoke FOR TABLE t WITH (publish = 'insert')");
      await client.query("SELECT pg_create_logical_replication_slot('smoke_slot', 'pgoutput')");
      await client.query('INSERT INTO t (note) VALUES ($1)', [note]);
    } finally {
      await client.end();
    }

    const service = new LogicalReplicationService(
      { connectionString: database.url },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    const inserted: unknown[] = [];
    const errors: unknown[] = [];
    service.on('data', (_lsn: string, message: Pgoutput.Message) => {
      if (message.tag === 'insert' && message.relation.name === 't') inserted.push(message.new.note);
    });
    service.on('error', (error) => errors.push(error));
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: ['smoke'] });
    const streaming = service.subscribe(plugin, 'smoke_slot', '0/0').catch((error: unknown) => {
      errors.push(error);
    });
    try {
      await waitFor(() => inserted.length > 0 || errors.length > 0, {
        timeoutMs: 30_000,
        message: 'the inserted row from the replication slot',
      });
    } finally {
      await service.stop();
      await streaming;
    }
    expect(errors).toEqual([]);
    expect(inserted).toEqual([note]);
  });

  it('produces a record to a new topic and consumes it back', async () => {
    const { kafkaBrokers } = serviceUrls();
    const topic = `${uniqueTopicPrefix()}.smoke`;
    const value = `smoke ${randomUUID()}`;
    await createTopics(kafkaBrokers, [topic], 1);
    try {
      const producer = kafkaClient(kafkaBrokers).producer();
      await producer.connect();
      try {
        await producer.send({ topic, acks: -1, messages: [{ key: 'k-1', value, headers: { id: 'h-1' } }] });
      } finally {
        await producer.disconnect();
      }
      const records = await consumeAll(kafkaBrokers, [topic], {
        until: (received) => received.length >= 1,
        timeoutMs: 30_000,
      });
      expect(records).toMatchObject([
        { topic, partition: 0, offset: '0', key: 'k-1', headers: { id: 'h-1' } },
      ]);
      expect(records[0]?.value?.toString()).toBe(value);
    } finally {
      await deleteTopics(kafkaBrokers, [topic]);
    }
  });

  // The first `npm run demo` on a new broker: the relay auto-created one of the consumer's topics a
  // moment before the consumer created both, kafkajs's createTopics then skipped its leader wait, and
  // subscribe failed on the other with UNKNOWN_TOPIC_OR_PARTITION. Many partitions widen that window.
  it('createTopics returns with leaders for a new topic created beside an existing one', async () => {
    const { kafkaBrokers } = serviceUrls();
    const prefix = uniqueTopicPrefix();
    const existing = `${prefix}.existing`;
    const fresh = Array.from({ length: 3 }, (_, index) => `${prefix}.fresh-${index}`);
    await createTopics(kafkaBrokers, [existing], 1);
    const consumer = kafkaClient(kafkaBrokers).consumer({ groupId: `${prefix}-smoke` });
    await consumer.connect();
    try {
      for (const topic of fresh) {
        await createTopics(kafkaBrokers, [existing, topic], 30);
        // kafkajs's subscribe does not retry UNKNOWN_TOPIC_OR_PARTITION: it throws if the broker lags.
        await consumer.subscribe({ topics: [existing, topic] });
      }
    } finally {
      await consumer.disconnect();
      await deleteTopics(kafkaBrokers, [existing, ...fresh]);
    }
  });
});
