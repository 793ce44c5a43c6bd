import { existsSync, readFileSync } from 'node:fs';
import { POLLING_TABLE_SQL } from '../baselines/polling/schema.js';
import type { BenchContext } from '../lib/context.js';
import { safeName } from '../lib/context.js';
import { createDatabase, withClient } from '../lib/db.js';
import { createTopics, LatencyConsumer } from '../lib/kafka.js';
import { spawnTracked, type Tracked } from '../lib/proc.js';
import { dropScenario, POLLING_TABLE, type WalScenario } from '../lib/scenario.js';
import { ROOT } from '../lib/stack.js';
import { type PacedLoad, pacedWrite } from '../lib/writer.js';
import { type LatencyResult, latencyResult, readPairs } from './latency.js';
import { type CatchUpResult, measureCatchUp } from './measure.js';

const WORKER = `${ROOT}bench/baselines/polling/worker.ts`;

function startWorker(
  ctx: BenchContext,
  url: string,
  intervalMs: number,
  logName: string,
  ackFile?: string,
): Tracked {
  return spawnTracked(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: url,
      KAFKA_BROKERS: ctx.stack.kafkaBrokers,
      POLL_INTERVAL_MS: String(intervalMs),
      BATCH_SIZE: '100',
      ...(ackFile ? { ACK_FILE: ackFile } : {}),
    },
    logFile: `${ctx.runDir}/${logName}.log`,
  });
}

/** The polling baseline's catch-up over its own table holding the same workload. */
export function pollingCatchUp(
  ctx: BenchContext,
  scenario: WalScenario,
  intervalMs: number,
): Promise<CatchUpResult> {
  return measureCatchUp(ctx, {
    system: `polling ${intervalMs} ms`,
    workload: scenario.workload.name,
    topic: `polling.outbox.event.${scenario.aggregateType}`,
    expected: scenario.workload.events,
    bytes: scenario.payloadBytes,
    timeoutMs: 1_800_000,
    start: () =>
      startWorker(
        ctx,
        scenario.url,
        intervalMs,
        safeName('polling', String(intervalMs), scenario.workload.name),
      ),
  });
}

/** The polling baseline under the same paced writer as the relay. */
export async function pollingLatency(
  ctx: BenchContext,
  load: PacedLoad & { name: string },
  intervalMs: number,
  warmupMs: number,
): Promise<LatencyResult> {
  const database = safeName('bench', ctx.runId, 'lat', load.name, `poll${intervalMs}`);
  const aggregateType = safeName(ctx.runId, 'lat', load.name, `poll${intervalMs}`);
  const topic = `polling.outbox.event.${aggregateType}`;
  const url = await createDatabase(ctx.stack.databaseUrl, database);
  await withClient(url, (client) => client.query(POLLING_TABLE_SQL));
  await createTopics(ctx.kafka, [topic]);
  const ackFile = `${ctx.runDir}/${database}.acks`;
  const proc = startWorker(ctx, url, intervalMs, database, ackFile);
  const consumer = new LatencyConsumer(ctx.kafka, topic);
  try {
    await proc.waitForOutput(/polling worker ready/, 60_000);
    await consumer.start();
    const cpuBefore = proc.cpuSeconds();
    const written = await pacedWrite(url, POLLING_TABLE, aggregateType, load);
    const complete = await consumer.waitFor(written.events, 120_000);
    const cpuAfter = proc.cpuSeconds();
    await proc.stop(30_000);
    return latencyResult({
      system: `polling ${intervalMs} ms`,
      load,
      written,
      warmupMs,
      consumer,
      complete,
      acks: existsSync(ackFile) ? readPairs(readFileSync(ackFile)) : new Float64Array(),
      cpuSeconds: cpuAfter - cpuBefore,
      peakRssBytes: proc.peakRssBytes(),
    });
  } finally {
    await consumer.stop().catch(() => undefined);
    await proc.stop(5_000);
    await dropScenario(ctx, { database, topics: [topic] });
  }
}
