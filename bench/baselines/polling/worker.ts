/**
 * The polling outbox publisher our users run today (shared/seed-designs.md), written as
 * well as that design allows: one worker, batches of 100 pending rows selected with
 * `FOR UPDATE SKIP LOCKED` in created_at order, one kafkajs sendBatch per batch with the
 * relay's producer settings (idempotent, acks -1, one request in flight), rows marked sent in
 * the same transaction, and a sleep of the poll interval only when a batch comes back empty.
 * Failures roll back, bump attempt_count and back off with full jitter; after MAX_ATTEMPTS
 * the rows are marked failed.
 *
 * Environment: DATABASE_URL, KAFKA_BROKERS, POLL_INTERVAL_MS (1000), BATCH_SIZE (100),
 * TOPIC_PREFIX ('polling.outbox.event.'), ACK_FILE (where to write per-event ack latencies on exit).
 */
import { writeFileSync } from 'node:fs';
import { CompressionTypes, Kafka, logLevel, type Message, Partitioners } from 'kafkajs';
import pg from 'pg';
import { Samples } from '../../lib/stats.js';

const MAX_ATTEMPTS = 10;

interface PendingRow {
  id: string;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  payload: string;
  created_ms: number;
}

const SELECT_BATCH = `
  SELECT id, aggregate_type, aggregate_id, event_type, payload::text AS payload,
         extract(epoch FROM created_at) * 1000 AS created_ms
  FROM outbox_polling
  WHERE status = 'pending'
  ORDER BY created_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED`;

const MARK_SENT = `UPDATE outbox_polling SET status = 'sent', updated_at = now() WHERE id = ANY($1::uuid[])`;
const MARK_ATTEMPT = `UPDATE outbox_polling
  SET attempt_count = attempt_count + 1, updated_at = now(),
      status = CASE WHEN attempt_count + 1 >= ${MAX_ATTEMPTS} THEN 'failed' ELSE status END
  WHERE id = ANY($1::uuid[])`;

async function main(): Promise<void> {
  const env = (name: string, fallback?: string): string => {
    const value = process.env[name] ?? fallback;
    if (value === undefined) throw new Error(`${name} is required`);
    return value;
  };
  const pollIntervalMs = Number(env('POLL_INTERVAL_MS', '1000'));
  const batchSize = Number(env('BATCH_SIZE', '100'));
  const topicPrefix = env('TOPIC_PREFIX', 'polling.outbox.event.');
  const ackFile = process.env.ACK_FILE;

  const db = new pg.Client({
    connectionString: env('DATABASE_URL'),
    application_name: 'polling outbox publisher',
  });
  // jsonb as text and created_at as a number: no parsing the relay does not do either.
  db.setTypeParser(pg.types.builtins.FLOAT8, Number);
  db.setTypeParser(pg.types.builtins.NUMERIC, Number);
  await db.connect();
  const kafka = new Kafka({
    clientId: 'polling-outbox',
    brokers: env('KAFKA_BROKERS').split(','),
    logLevel: logLevel.WARN,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();

  const acks = new Samples();
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  process.on('SIGINT', () => stop.abort());
  console.log(`polling worker ready (interval ${pollIntervalMs} ms, batch ${batchSize})`);

  let failures = 0;
  while (!stop.signal.aborted) {
    await db.query('BEGIN');
    const { rows } = await db.query<PendingRow>(SELECT_BATCH, [batchSize]);
    if (rows.length === 0) {
      await db.query('COMMIT');
      await sleep(pollIntervalMs, stop.signal);
      continue;
    }
    try {
      await producer.sendBatch({
        topicMessages: byTopic(rows, topicPrefix),
        acks: -1,
        compression: CompressionTypes.None,
      });
    } catch (error) {
      await db.query('ROLLBACK');
      await db.query(MARK_ATTEMPT, [rows.map((row) => row.id)]);
      failures++;
      console.error(`publish failed (attempt ${failures}): ${String(error)}`);
      await sleep(Math.random() * Math.min(30_000, 200 * 2 ** failures), stop.signal);
      continue;
    }
    failures = 0;
    const ackedAt = Date.now();
    for (const row of rows) {
      acks.push(row.created_ms);
      acks.push(ackedAt - row.created_ms);
    }
    await db.query(MARK_SENT, [rows.map((row) => row.id)]);
    await db.query('COMMIT');
  }
  await producer.disconnect();
  await db.end();
  if (ackFile) writeFileSync(ackFile, Buffer.from(acks.values().buffer, 0, acks.length * 8));
}

/** One topic per aggregate type, key = aggregate id, headers id and event_type, timestamp = created_at. */
function byTopic(rows: PendingRow[], prefix: string): Array<{ topic: string; messages: Message[] }> {
  const topics = new Map<string, Message[]>();
  for (const row of rows) {
    const topic = prefix + row.aggregate_type;
    let messages = topics.get(topic);
    if (!messages) {
      messages = [];
      topics.set(topic, messages);
    }
    messages.push({
      key: row.aggregate_id,
      value: row.payload,
      headers: { id: row.id, event_type: row.event_type },
      timestamp: String(Math.round(row.created_ms)),
    });
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
