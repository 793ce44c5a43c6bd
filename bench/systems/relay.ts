import type { BenchContext } from '../lib/context.js';
import { safeName } from '../lib/context.js';
import { createTopics, jsonSeqOf, LatencyConsumer, type SeqReader } from '../lib/kafka.js';
import { spawnTracked } from '../lib/proc.js';
import {
  counterTotal,
  freePort,
  type Histogram,
  scrape,
  sumAndCount,
  summarizeDelta,
} from '../lib/prometheus.js';
import {
  createOutboxDatabase,
  dropScenario,
  exactlyOnceTopics,
  kafkajsTopics,
  relayEnv,
  slotName,
  type WalScenario,
} from '../lib/scenario.js';
import { ROOT } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import { type PacedLoad, pacedWrite } from '../lib/writer.js';
import { EXACTLY_ONCE, KAFKAJS, MESSAGES, RELAY } from '../report/summary.js';
import { type LatencyResult, latencyResult } from './latency.js';
import { type CatchUpResult, measureCatchUp } from './measure.js';

const CLI = `${ROOT}dist/cli/main.js`;

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    OUTBOX_LOG_LEVEL: 'info',
    OUTBOX_METRICS_PORT: '0',
    ...extra,
  };
}

/** A variant of the relay's catch-up run: the defaults when empty. */
export interface RelayCatchUpOptions {
  readonly nodeArgs?: string[];
  readonly label?: string;
  /**
   * Settings over the scenario's (relayEnv), e.g. the Avro row's slot, topic template and
   * value encoding. When the record values are then not the payload's text, pass `topic` and
   * `seqOf` too; MB/s then counts the values' size as read back.
   */
  readonly env?: Record<string, string>;
  /** Where the records go; default `outbox.event.<aggregate type>`. */
  readonly topic?: string;
  readonly seqOf?: SeqReader;
  /** The run's OUTBOX_DLQ_TOPIC, which must stay empty (a record there fails the run). */
  readonly deadLetterTopic?: string;
}

/**
 * outbox-relay catch-up: `node dist/cli/main.js run` over events already committed, with its
 * metrics server on (as by default); its batch sizes, send times and dead-lettered events are
 * read from /metrics once everything is acknowledged.
 */
export async function relayCatchUp(
  ctx: BenchContext,
  scenario: WalScenario,
  options: RelayCatchUpOptions = {},
): Promise<CatchUpResult> {
  const label = options.label ?? RELAY;
  const port = await freePort();
  return measureCatchUp(ctx, {
    system: label,
    workload: scenario.workload.name,
    topic: options.topic ?? `outbox.event.${scenario.aggregateType}`,
    expected: scenario.workload.events,
    bytes: options.seqOf ? 'read back' : scenario.payloadBytes,
    timeoutMs: 600_000,
    seqOf: options.seqOf,
    deadLetterTopic: options.deadLetterTopic,
    start: () =>
      spawnTracked(process.execPath, [...(options.nodeArgs ?? []), CLI, 'run'], {
        cwd: ROOT,
        env: childEnv({
          ...relayEnv(ctx, scenario.url),
          ...options.env,
          OUTBOX_METRICS_PORT: String(port),
          OUTBOX_METRICS_HOST: '127.0.0.1',
        }),
        logFile: `${ctx.runDir}/${safeName(label, scenario.workload.name)}.log`,
      }),
    inspect: async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const batches = sumAndCount(text, 'outbox_batch_size_events');
      const sends = sumAndCount(text, 'outbox_publish_duration_seconds');
      return {
        batches: batches.count,
        meanBatchEvents: round(batches.sum / Math.max(1, batches.count), 0),
        meanSendMs: round((sends.sum / Math.max(1, sends.count)) * 1000, 1),
        deadLettered: counterTotal(text, 'outbox_dlq_total'),
      };
    },
  });
}

/**
 * The relay with OUTBOX_KAFKA_CLIENT=kafkajs over the same WAL as its default row, records in
 * `outbox.kafkajs.<type>`.
 */
export function kafkajsCatchUp(ctx: BenchContext, scenario: WalScenario): Promise<CatchUpResult> {
  return sameWalCatchUp(ctx, scenario, KAFKAJS, 'relay_kafkajs', kafkajsTopics(scenario.aggregateType), {
    OUTBOX_KAFKA_CLIENT: 'kafkajs',
  });
}

/**
 * The relay with OUTBOX_DELIVERY=exactly-once over the same WAL as its default row, records in
 * `outbox.eos.<type>`: each batch a Kafka transaction with its checkpoint record.
 */
export function exactlyOnceCatchUp(ctx: BenchContext, scenario: WalScenario): Promise<CatchUpResult> {
  const topics = exactlyOnceTopics(scenario.aggregateType);
  return sameWalCatchUp(ctx, scenario, EXACTLY_ONCE, 'relay_eos', topics, {
    OUTBOX_DELIVERY: 'exactly-once',
    OUTBOX_CHECKPOINT_TOPIC: topics.checkpoints,
  });
}

/** A variant of the relay on its own slot of the default row's WAL (created with the others before the data). */
function sameWalCatchUp(
  ctx: BenchContext,
  scenario: WalScenario,
  label: string,
  reader: 'relay_kafkajs' | 'relay_eos',
  topics: { readonly template: string; readonly records: string },
  settings: Record<string, string>,
): Promise<CatchUpResult> {
  return relayCatchUp(ctx, scenario, {
    label,
    topic: topics.records,
    env: {
      ...settings,
      OUTBOX_SLOT: slotName(scenario.url, reader),
      OUTBOX_TOPIC_TEMPLATE: topics.template,
    },
  });
}

/**
 * The relay with OUTBOX_SOURCE=messages over a scenario written as WAL messages
 * (prepareMessageScenario), with its default slot, publication and topics. Its record values are
 * the envelope's payload re-serialized (JSON.stringify: no space after `:` and `,`), a few bytes
 * shorter than the column's text the table row sends: MB/s counts them as read back.
 */
export function messagesCatchUp(ctx: BenchContext, scenario: WalScenario): Promise<CatchUpResult> {
  return relayCatchUp(ctx, scenario, {
    label: MESSAGES,
    seqOf: jsonSeqOf,
    env: { OUTBOX_SOURCE: 'messages' },
  });
}

/**
 * outbox-relay under a paced writer, run as `node dist/cli/main.js run` with its metrics
 * server on: per event, commit -> broker ack from the relay's own histogram
 * outbox_end_to_end_latency_seconds (scraped from /metrics when the warm-up ends and at the
 * end), and commit -> consumer receive from an independent kafkajs consumer
 * (OUTBOX_COLUMN_TIMESTAMP='' makes the record timestamp the commit time).
 */
export async function relayLatency(
  ctx: BenchContext,
  load: PacedLoad & { name: string },
  warmupMs: number,
  client: 'default' | 'kafkajs' = 'default',
): Promise<LatencyResult> {
  const system = client === 'kafkajs' ? KAFKAJS : RELAY;
  const database = safeName('bench', ctx.runId, 'lat', load.name, client);
  const aggregateType = safeName(ctx.runId, 'lat', load.name, client);
  const topic = `outbox.event.${aggregateType}`;
  const url = await createOutboxDatabase(ctx, database);
  await createTopics(ctx.kafka, [topic]);
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const proc = spawnTracked(process.execPath, [CLI, 'run'], {
    cwd: ROOT,
    env: childEnv({
      ...relayEnv(ctx, url),
      ...(client === 'kafkajs' ? { OUTBOX_KAFKA_CLIENT: 'kafkajs' } : {}),
      OUTBOX_COLUMN_TIMESTAMP: '',
      OUTBOX_METRICS_PORT: String(port),
      OUTBOX_METRICS_HOST: '127.0.0.1',
    }),
    logFile: `${ctx.runDir}/${database}.log`,
  });
  const consumer = new LatencyConsumer(ctx.kafka, topic);
  try {
    await proc.waitForOutput(/"msg":"streaming"/, 60_000);
    await consumer.start();
    const cpuBefore = proc.cpuSeconds();
    let afterWarmup: Promise<Histogram> | undefined;
    const warmupTimer = setTimeout(() => {
      afterWarmup = scrape(metricsUrl, E2E_HISTOGRAM);
    }, warmupMs);
    const written = await pacedWrite(url, 'public.outbox', aggregateType, load);
    clearTimeout(warmupTimer);
    const complete = await consumer.waitFor(written.events, 120_000);
    const cpuAfter = proc.cpuSeconds();
    const final = await scrape(metricsUrl, E2E_HISTOGRAM);
    const histogram = summarizeDelta((await afterWarmup) ?? new Map(), final);
    await proc.stop(30_000);
    return {
      ...latencyResult({
        system,
        load,
        written,
        warmupMs,
        consumer,
        complete,
        acks: new Float64Array(),
        cpuSeconds: cpuAfter - cpuBefore,
        peakRssBytes: proc.peakRssBytes(),
      }),
      ackHistogram: histogram,
    };
  } finally {
    await consumer.stop().catch(() => undefined);
    await proc.stop(5_000);
    await dropScenario(ctx, { database, topics: [topic] });
  }
}

const E2E_HISTOGRAM = 'outbox_end_to_end_latency_seconds';
