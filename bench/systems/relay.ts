import { readFileSync } from 'node:fs';
import type { BenchContext } from '../lib/context.js';
import { safeName } from '../lib/context.js';
import { createTopics, LatencyConsumer } from '../lib/kafka.js';
import { spawnTracked } from '../lib/proc.js';
import { createOutboxDatabase, dropScenario, relayEnv, type WalScenario } from '../lib/scenario.js';
import { ROOT } from '../lib/stack.js';
import { type PacedLoad, pacedWrite } from '../lib/writer.js';
import { type LatencyResult, latencyResult, readPairs } from './latency.js';
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

/** outbox-relay catch-up: `node dist/cli/main.js run` over events already committed. */
export function relayCatchUp(
  ctx: BenchContext,
  scenario: WalScenario,
  options: { nodeArgs?: string[]; label?: string } = {},
): Promise<CatchUpResult> {
  const label = options.label ?? 'outbox-relay';
  return measureCatchUp(ctx, {
    system: label,
    workload: scenario.workload.name,
    topic: `outbox.event.${scenario.aggregateType}`,
    expected: scenario.workload.events,
    bytes: scenario.payloadBytes,
    timeoutMs: 600_000,
    start: () =>
      spawnTracked(process.execPath, [...(options.nodeArgs ?? []), CLI, 'run'], {
        cwd: ROOT,
        env: childEnv(relayEnv(ctx, scenario.url)),
        logFile: `${ctx.runDir}/${safeName(label, scenario.workload.name)}.log`,
      }),
  });
}

/**
 * outbox-relay under a paced writer: per event, commit -> broker ack (from the relay's
 * `event:acknowledged` events, through bench/relay-probe.ts) and commit -> consumer receive
 * (an independent kafkajs consumer; OUTBOX_COLUMN_TIMESTAMP='' makes the record timestamp
 * the commit time).
 */
export async function relayLatency(
  ctx: BenchContext,
  load: PacedLoad & { name: string },
  warmupMs: number,
): Promise<LatencyResult> {
  const database = safeName('bench', ctx.runId, 'lat', load.name);
  const aggregateType = safeName(ctx.runId, 'lat', load.name);
  const topic = `outbox.event.${aggregateType}`;
  const url = await createOutboxDatabase(ctx, database);
  await createTopics(ctx.kafka, [topic]);
  const ackFile = `${ctx.runDir}/${database}.acks`;
  const proc = spawnTracked(process.execPath, ['--import', 'tsx', `${ROOT}bench/relay-probe.ts`], {
    cwd: ROOT,
    env: childEnv({ ...relayEnv(ctx, url), OUTBOX_COLUMN_TIMESTAMP: '', BENCH_ACK_FILE: ackFile }),
    logFile: `${ctx.runDir}/${database}.log`,
  });
  const consumer = new LatencyConsumer(ctx.kafka, topic);
  try {
    await proc.waitForOutput(/"msg":"streaming"/, 60_000);
    await consumer.start();
    const cpuBefore = proc.cpuSeconds();
    const written = await pacedWrite(url, 'public.outbox', aggregateType, load);
    const complete = await consumer.waitFor(written.events, 120_000);
    const cpuAfter = proc.cpuSeconds();
    await proc.stop(30_000);
    return latencyResult({
      system: 'outbox-relay',
      load,
      written,
      warmupMs,
      consumer,
      complete,
      acks: readPairs(readFileSync(ackFile)),
      cpuSeconds: cpuAfter - cpuBefore,
      peakRssBytes: proc.peakRssBytes(),
    });
  } finally {
    await consumer.stop().catch(() => undefined);
    await proc.stop(5_000);
    await dropScenario(ctx, { database, topics: [topic] });
  }
}
