import pg from 'pg';
import { loadConfig } from '../../src/config/load.js';
import type { RelayConfig } from '../../src/config/relay-config.js';
import { layoutFromConfig } from '../../src/outbox/layout.js';
import { initialize } from '../../src/setup/initialize.js';
import { POLLING_TABLE_SQL } from '../baselines/polling/schema.js';
import type { BenchContext } from './context.js';
import { safeName } from './context.js';
import { createDatabase, createSlot, currentWalLsn, dropDatabase, withClient } from './db.js';
import { createTopics, deleteTopics } from './kafka.js';
import { ROOT } from './stack.js';
import {
  fill,
  fillMessages,
  generatedPayloadTotalBytes,
  payloadTotalBytes,
  type Workload,
} from './workload.js';

/** Names shared by every system reading one scenario's WAL. */
export const RELAY_PUBLICATION = 'relay_pub';
export const DEBEZIUM_PUBLICATION = 'debezium_pub';

/**
 * Slot names are cluster-wide (publications are per database): each reader's slot is named
 * after the scenario's database, so a slot left by an interrupted run never collides.
 */
export function slotName(
  url: string,
  reader: 'relay' | 'relay_kafkajs' | 'relay_avro' | 'relay_eos' | 'recvlogical' | 'debezium',
): string {
  return `${new URL(url).pathname.slice(1)}_${reader}`;
}

/**
 * The Avro row's own topics (the JSON row's records are in `outbox.event.<type>`): its records
 * through OUTBOX_TOPIC_TEMPLATE, and its dead-letter topic, which must stay empty.
 */
export function avroTopics(aggregateType: string): {
  template: string;
  records: string;
  deadLetters: string;
} {
  return {
    template: 'outbox.avro.{aggregate_type}',
    records: `outbox.avro.${aggregateType}`,
    deadLetters: `outbox.dlq.${aggregateType}`,
  };
}
/** The exactly-once row's records and checkpoints. */
export function exactlyOnceTopics(aggregateType: string): {
  template: string;
  records: string;
  checkpoints: string;
} {
  return {
    template: 'outbox.eos.{aggregate_type}',
    records: `outbox.eos.${aggregateType}`,
    checkpoints: 'outbox.bench.checkpoints',
  };
}

/** The kafkajs row's records (the default row's are in `outbox.event.<type>`). */
export function kafkajsTopics(aggregateType: string): { template: string; records: string } {
  return { template: 'outbox.kafkajs.{aggregate_type}', records: `outbox.kafkajs.${aggregateType}` };
}

export const POLLING_TABLE = 'outbox_polling';

/**
 * A database whose outbox already holds a workload (rows, or WAL messages), with a slot per
 * reader created before it was written.
 */
export interface WalScenario {
  readonly database: string;
  readonly url: string;
  readonly workload: Workload;
  /** aggregate_type of every event: topics are `<prefix>outbox.event.<aggregateType>`. */
  readonly aggregateType: string;
  /** WAL position after the last event's commit (pg_recvlogical's --endpos). */
  readonly endLsn: string;
  readonly payloadBytes: number;
  readonly writeSeconds: number;
  readonly topics: string[];
}

/** The relay's configuration for a scenario database (what `outbox-relay init` would use). */
export function relayEnv(ctx: BenchContext, url: string): Record<string, string> {
  return {
    DATABASE_URL: url,
    KAFKA_BROKERS: ctx.stack.kafkaBrokers,
    OUTBOX_SLOT: slotName(url, 'relay'),
    OUTBOX_PUBLICATION: RELAY_PUBLICATION,
  };
}

export function relayConfig(ctx: BenchContext, url: string): RelayConfig {
  return loadConfig({ env: relayEnv(ctx, url) });
}

/** CREATE DATABASE, then `outbox-relay init --create-table` semantics through `initialize`. */
export async function createOutboxDatabase(ctx: BenchContext, name: string): Promise<string> {
  const url = await createDatabase(ctx.stack.databaseUrl, name);
  const config = relayConfig(ctx, url);
  const init = () =>
    withClient(url, (client) => initialize(client, config, layoutFromConfig(config), { createTable: true }));
  try {
    await init();
  } catch (error) {
    if (!isToastPermissionBug(error)) throw error;
    await grantToastUsage(ctx, name, new URL(url).username);
    await init();
  }
  return url;
}

const TOAST_NOTE =
  "WORKAROUND: the relay's publication check (src/setup/preflight.ts checkPublication, also run by " +
  '`init` and at every start) casts format(schema.table)::regclass over every pg_class row, which fails with ' +
  '"permission denied for schema pg_toast" (42501) for a role that is not a superuser. The harness granted ' +
  "USAGE ON SCHEMA pg_toast to the outbox role in each benchmark database (over the stack's unix socket, as " +
  'postgres) so the relay could run; this does not change what it measures. Fix the query in src/ and this ' +
  'grant is no longer made.';

function isToastPermissionBug(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === '42501' && /schema pg_toast/.test(message ?? '');
}

/** As the stack's superuser over its unix socket (trust): only in the benchmark's own database. */
async function grantToastUsage(ctx: BenchContext, database: string, role: string): Promise<void> {
  const client = new pg.Client({
    host: `${ROOT}.stack/pg/sock`,
    port: Number(new URL(ctx.stack.databaseUrl).port),
    user: 'postgres',
    database,
  });
  await client.connect();
  try {
    await client.query(`GRANT USAGE ON SCHEMA pg_toast TO "${role}"`);
  } finally {
    await client.end();
  }
  if (!ctx.notes.includes(TOAST_NOTE)) {
    ctx.notes.push(TOAST_NOTE);
    ctx.log(TOAST_NOTE);
  }
}

/**
 * One catch-up scenario: a fresh database with the outbox table, the relay's publication
 * and slot, a second slot for pg_recvlogical, (optionally) Debezium's own publication and
 * slot and more relay slots for the kafkajs, exactly-once and Avro rows (same publication), all created
 * before the workload is written; then the workload.
 */
export async function prepareWalScenario(
  ctx: BenchContext,
  load: Workload,
  options: { debezium: boolean; kafkajs?: boolean; avro?: boolean; exactlyOnce?: boolean },
): Promise<WalScenario> {
  const database = safeName('bench', ctx.runId, load.name);
  const aggregateType = safeName(ctx.runId, load.name);
  const url = await createOutboxDatabase(ctx, database);
  const topics = [`outbox.event.${aggregateType}`];
  if (options.debezium) topics.push(`debezium.outbox.event.${aggregateType}`);
  if (options.kafkajs) topics.push(kafkajsTopics(aggregateType).records);
  if (options.exactlyOnce) topics.push(exactlyOnceTopics(aggregateType).records);
  if (options.avro) {
    const avro = avroTopics(aggregateType);
    topics.push(avro.records, avro.deadLetters);
  }
  await createTopics(ctx.kafka, topics);
  return withClient(url, async (client) => {
    await createSlot(client, slotName(url, 'recvlogical'));
    if (options.kafkajs) await createSlot(client, slotName(url, 'relay_kafkajs'));
    if (options.exactlyOnce) await createSlot(client, slotName(url, 'relay_eos'));
    if (options.avro) await createSlot(client, slotName(url, 'relay_avro'));
    if (options.debezium) {
      await client.query(`CREATE PUBLICATION ${DEBEZIUM_PUBLICATION} FOR TABLE public.outbox`);
      await createSlot(client, slotName(url, 'debezium'));
    }
    return writeWorkload(
      client,
      { table: 'public.outbox' },
      { database, url, workload: load, aggregateType, topics },
    );
  });
}

/**
 * The same workload written as transactional WAL messages (OUTBOX_SOURCE=messages), in a database
 * of its own set up like any other (the unused table, the publication pgoutput needs, which does
 * not filter messages, and the relay's slot, created before the messages are written). run.ts
 * writes it after the table row has run, so neither of the two rows reads the other's WAL.
 */
export async function prepareMessageScenario(ctx: BenchContext, load: Workload): Promise<WalScenario> {
  const database = safeName('bench', ctx.runId, load.name, 'msg');
  const aggregateType = safeName(ctx.runId, load.name, 'msg');
  const url = await createOutboxDatabase(ctx, database);
  const topics = [`outbox.event.${aggregateType}`];
  await createTopics(ctx.kafka, topics);
  return withClient(url, (client) =>
    writeWorkload(client, 'messages', { database, url, workload: load, aggregateType, topics }),
  );
}

/** The polling baseline's own database and table, holding the same workload as pending rows. */
export async function preparePollingScenario(
  ctx: BenchContext,
  load: Workload,
  suffix: string,
): Promise<WalScenario> {
  const database = safeName('bench', ctx.runId, load.name, suffix);
  const aggregateType = safeName(ctx.runId, load.name, suffix);
  const url = await createDatabase(ctx.stack.databaseUrl, database);
  const topics = [`polling.outbox.event.${aggregateType}`];
  await createTopics(ctx.kafka, topics);
  return withClient(url, async (client) => {
    await client.query(POLLING_TABLE_SQL);
    // Fresh statistics for the polling worker's index scans, as autovacuum would leave them.
    return writeWorkload(
      client,
      { table: POLLING_TABLE },
      { database, url, workload: load, aggregateType, topics },
      () => client.query(`VACUUM ANALYZE ${POLLING_TABLE}`).then(() => undefined),
    );
  });
}

/** A synchronous commit flushes the WAL the filler wrote with synchronous_commit = off. */
async function flushWal(client: import('pg').ClientBase): Promise<void> {
  await client.query('CREATE TABLE IF NOT EXISTS bench_marker (at timestamptz)');
  await client.query('INSERT INTO bench_marker VALUES (now())');
}

export async function dropScenario(
  ctx: BenchContext,
  scenario: { database: string; topics: string[] },
): Promise<void> {
  await dropDatabase(ctx.stack.databaseUrl, scenario.database).catch((error: unknown) =>
    ctx.log(`could not drop database ${scenario.database}: ${String(error)}`),
  );
  await deleteTopics(ctx.kafka, scenario.topics);
}

/** Where a scenario's events are written: rows of a table, or transactional WAL messages. */
type EventTarget = { readonly table: string } | 'messages';

/** Writes the workload into `target`, timed, and describes what the scenario now holds. */
async function writeWorkload(
  client: pg.ClientBase,
  target: EventTarget,
  scenario: Pick<WalScenario, 'database' | 'url' | 'workload' | 'aggregateType' | 'topics'>,
  afterWrite: () => Promise<void> = async () => undefined,
): Promise<WalScenario> {
  const { aggregateType, workload } = scenario;
  const started = performance.now();
  if (target === 'messages') await fillMessages(client, aggregateType, workload);
  else await fill(client, target.table, aggregateType, workload);
  const writeSeconds = (performance.now() - started) / 1000;
  await flushWal(client);
  await afterWrite();
  return {
    ...scenario,
    endLsn: await currentWalLsn(client),
    payloadBytes:
      target === 'messages'
        ? await generatedPayloadTotalBytes(client, workload)
        : await payloadTotalBytes(client, target.table),
    writeSeconds,
  };
}
