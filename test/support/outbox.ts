import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { OPTIONS } from '../../src/config/options.js';
import type { KafkaClient } from '../../src/config/relay-config.js';

export interface WrittenEvent {
  readonly id: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
}

/** One outbox row as an application writes it. */
export interface EventRow {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly eventType: string;
  readonly payload: unknown;
}

/** Where the tests' writers put events: the relay's OUTBOX_SOURCE, as a vitest project sets it. */
export const TEST_SOURCE = process.env.OUTBOX_SOURCE === 'messages' ? 'messages' : 'table';

/**
 * The writers' statement for events of one aggregate type ($2) with ids ($1), aggregate ids ($3)
 * and payloads ($4), in order: rows of the outbox table, or with OUTBOX_SOURCE=messages the same
 * events as WAL messages, their envelope (docs/message-envelope.md) built in plain SQL.
 */
export const WRITE_EVENTS_SQL =
  TEST_SOURCE === 'messages'
    ? `SELECT pg_logical_emit_message(true, 'outbox', json_build_object(
         'v', 1, 'id', id, 'aggregateType', $2::text, 'aggregateId', aggregate_id,
         'eventType', 'Happened', 'payload', payload)::text)
       FROM unnest($1::uuid[], $3::text[], $4::jsonb[]) WITH ORDINALITY AS t(id, aggregate_id, payload, n)
       ORDER BY n`
    : `INSERT INTO outbox (id, aggregate_type, aggregate_id, event_type, payload)
       SELECT id, $2, aggregate_id, 'Happened', payload
       FROM unnest($1::uuid[], $3::text[], $4::jsonb[]) AS t(id, aggregate_id, payload)`;

/** Connection-scoped helpers to write outbox rows the way applications do. */
export class OutboxWriter {
  private constructor(private readonly client: pg.Client) {}

  static async connect(databaseUrl: string): Promise<OutboxWriter> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return new OutboxWriter(client);
  }

  get sql(): pg.Client {
    return this.client;
  }

  /**
   * Inserts `count` events in one transaction, round-robin over `aggregates` aggregates of
   * `aggregateType`, and returns them in commit order.
   */
  async transaction(
    count: number,
    options: { aggregateType?: string; aggregates?: number; payloadBytes?: number; offset?: number } = {},
  ): Promise<WrittenEvent[]> {
    const { aggregateType = 'order', aggregates = 200, payloadBytes = 0, offset = 0 } = options;
    const events = Array.from({ length: count }, (_, index) => ({
      id: randomUUID(),
      aggregateType,
      aggregateId: `${aggregateType}-${(offset + index) % aggregates}`,
    }));
    const padding = 'x'.repeat(payloadBytes);
    await this.client.query('BEGIN');
    try {
      for (let start = 0; start < events.length; start += 1000) {
        const chunk = events.slice(start, start + 1000);
        await this.client.query(WRITE_EVENTS_SQL, [
          chunk.map((event) => event.id),
          aggregateType,
          chunk.map((event) => event.aggregateId),
          chunk.map((_, index) => JSON.stringify({ seq: offset + start + index, pad: padding })),
        ]);
      }
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK');
      throw error;
    }
    return events;
  }

  /** Inserts the given events in one transaction, in order; returns their ids. */
  async events(events: readonly EventRow[]): Promise<string[]> {
    const ids = events.map(() => randomUUID());
    await this.client.query(
      `INSERT INTO outbox (id, aggregate_type, aggregate_id, event_type, payload)
       SELECT id, aggregate_type, aggregate_id, event_type, payload::jsonb
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY
         AS t(id, aggregate_type, aggregate_id, event_type, payload, n) ORDER BY n`,
      [
        ids,
        events.map((event) => event.aggregateType),
        events.map((event) => event.aggregateId),
        events.map((event) => event.eventType),
        events.map((event) => JSON.stringify(event.payload)),
      ],
    );
    return ids;
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

/**
 * `transactions` transactions of `size` events each, over 100 aggregates of `aggregateType`, on a
 * connection of their own (the server may be a different one since the last call); in commit order.
 */
export async function writeTransactions(
  databaseUrl: string,
  transactions: number,
  size: number,
  aggregateType = 'fault',
): Promise<WrittenEvent[]> {
  const writer = await OutboxWriter.connect(databaseUrl);
  try {
    const written: WrittenEvent[] = [];
    for (let n = 0; n < transactions; n++) {
      written.push(...(await writer.transaction(size, { aggregateType, aggregates: 100, offset: n * size })));
    }
    return written;
  } finally {
    await writer.close();
  }
}

/**
 * The Kafka client under test: the default, or the one a vitest project sets (vitest.config.ts
 * runs the delivery, crash and fault tests once per client).
 */
export const KAFKA_CLIENT = (process.env.OUTBOX_KAFKA_CLIENT ??
  OPTIONS.find((option) => option.key === 'kafkaClient')?.fallback) as KafkaClient;

/** The outbox table under test: plain, or partitioned by created_at (a vitest project runs some tests again so). */
export const TEST_PARTITIONED = process.env.TEST_OUTBOX_LAYOUT === 'partitioned';

/** The delivery guarantee under test: a vitest project runs the fault suite again with exactly-once. */
export const TEST_DELIVERY =
  process.env.OUTBOX_DELIVERY === 'exactly-once' ? 'exactly-once' : 'at-least-once';

export const OUTBOX_ENV = (
  databaseUrl: string,
  kafkaBrokers: string,
  slot: string,
): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  KAFKA_BROKERS: kafkaBrokers,
  OUTBOX_SLOT: slot,
  OUTBOX_PUBLICATION: slot,
  OUTBOX_LOG_LEVEL: 'warn',
  OUTBOX_METRICS_PORT: '0',
  OUTBOX_KAFKA_CLIENT: KAFKA_CLIENT,
  OUTBOX_SOURCE: TEST_SOURCE,
  OUTBOX_DELIVERY: TEST_DELIVERY,
});
