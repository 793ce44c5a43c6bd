import type { BenchContext } from '../lib/context.js';
import { safeName } from '../lib/context.js';
import { createTopics, deleteTopics } from '../lib/kafka.js';
import { run, spawnTracked } from '../lib/proc.js';
import { RELAY_PUBLICATION, slotName, type WalScenario } from '../lib/scenario.js';
import { round } from '../lib/stats.js';

export interface DecodeCeiling {
  readonly system: 'pg_recvlogical';
  readonly workload: string;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly mbPerSecond: number;
}

/**
 * How fast PostgreSQL decodes this WAL through pgoutput and ships it to a client that does
 * nothing with it: pg_recvlogical on its own slot (created before the data) to /dev/null,
 * until --endpos.
 */
export async function decodeCeiling(ctx: BenchContext, scenario: WalScenario): Promise<DecodeCeiling> {
  const started = performance.now();
  const proc = spawnTracked(
    `${ctx.stack.pgBin}/pg_recvlogical`,
    [
      '-d',
      scenario.url,
      '--slot',
      slotName(scenario.url, 'recvlogical'),
      '--start',
      '--endpos',
      scenario.endLsn,
      '--no-loop',
      '-f',
      '/dev/null',
      '-o',
      'proto_version=1',
      '-o',
      `publication_names=${RELAY_PUBLICATION}`,
    ],
    { env: process.env, logFile: `${ctx.runDir}/${safeName('recvlogical', scenario.workload.name)}.log` },
  );
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 600_000);
  const code = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`pg_recvlogical exited with ${code}: ${proc.tail()}`);
  const seconds = (performance.now() - started) / 1000;
  const events = scenario.workload.events;
  return {
    system: 'pg_recvlogical',
    workload: scenario.workload.name,
    events,
    seconds: round(seconds, 2),
    eventsPerSecond: round(events / seconds, 0),
    mbPerSecond: round(scenario.payloadBytes / seconds / 1e6, 2),
  };
}

export interface ProducerCeiling {
  readonly system: 'ProducerPerformance';
  readonly records: number;
  readonly recordSize: number;
  readonly eventsPerSecond: number;
  readonly mbPerSecond: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly summary: string;
}

const SUMMARY =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency/;

/** How fast Kafka's own Java producer (acks=all, idempotent by default) writes records of this size here. */
export async function producerCeiling(
  ctx: BenchContext,
  records: number,
  recordSize: number,
): Promise<ProducerCeiling> {
  const topic = safeName(ctx.runId, 'producer_perf', String(recordSize), String(records));
  await createTopics(ctx.kafka, [topic]);
  try {
    const output = await run(
      'java',
      [
        '-Xmx512m',
        '-cp',
        `${ctx.stack.kafkaLib}/*`,
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic',
        topic,
        '--num-records',
        String(records),
        '--record-size',
        String(recordSize),
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${ctx.stack.kafkaBrokers}`,
        'acks=all',
        'enable.idempotence=true',
      ],
      { logFile: `${ctx.runDir}/${topic}.log`, timeoutMs: 600_000 },
    );
    const line = output
      .split('\n')
      .filter((text) => SUMMARY.test(text))
      .pop();
    const match = line ? SUMMARY.exec(line) : null;
    if (!match) throw new Error(`no summary line in ProducerPerformance's output:\n${output}`);
    return {
      system: 'ProducerPerformance',
      records,
      recordSize,
      eventsPerSecond: round(Number(match[2]), 0),
      // ProducerPerformance prints MiB/s; report MB/s (10^6) like the other systems.
      mbPerSecond: round((Number(match[2]) * recordSize) / 1e6, 2),
      avgLatencyMs: Number(match[4]),
      maxLatencyMs: Number(match[5]),
      summary: line ?? '',
    };
  } finally {
    await deleteTopics(ctx.kafka, [topic]);
  }
}
