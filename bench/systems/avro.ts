import { mkdirSync, writeFileSync } from 'node:fs';
import { parseAvroSchema } from '../../src/avro/json-to-avro.js';
import type { BenchContext } from '../lib/context.js';
import type { SeqReader } from '../lib/kafka.js';
import { spawnTracked } from '../lib/proc.js';
import { avroTopics, slotName, type WalScenario } from '../lib/scenario.js';
import { loadStack, ROOT } from '../lib/stack.js';
import { EVENT_TYPE } from '../lib/workload.js';
import { AVRO } from '../report/summary.js';
import type { CatchUpResult } from './measure.js';
import { relayCatchUp } from './relay.js';

/** Confluent wire format: magic byte 0 and the schema id (int32) before the Avro body. */
const WIRE_HEADER_BYTES = 5;

/**
 * The record schema of the workload's payload, `{"seq": n, "data": "<hex>"}` (payloadSql in
 * bench/lib/workload.ts), field for field: the relay dead-letters a payload with a field the
 * schema does not declare. The namespace is this run's id, so that nothing registered by an
 * earlier run (the registry keeps its state in memory until restarted) is reused.
 */
export function avroSchema(ctx: BenchContext): object {
  return {
    type: 'record',
    name: EVENT_TYPE,
    namespace: `bench.${ctx.runId}`,
    doc: 'outbox-relay benchmark event (bench/lib/workload.ts)',
    fields: [
      { name: 'seq', type: 'long' },
      { name: 'data', type: 'string' },
    ],
  };
}

/** The registry's URL, or why there is none. */
export type Registry = { readonly url: string } | { readonly reason: string };

/**
 * `npm run stack -- registry-up` (idempotent: reuses a running registry), then the URL it
 * wrote to .stack/env. A failure only skips the Avro row.
 */
export async function startRegistry(ctx: BenchContext): Promise<Registry> {
  ctx.log('schema registry for the Avro row: npm run stack -- registry-up ...');
  let registry: Registry;
  try {
    const proc = spawnTracked('bash', [`${ROOT}scripts/stack.sh`, 'registry-up'], {
      cwd: ROOT,
      env: process.env,
      logFile: `${ctx.runDir}/registry-up.log`,
    });
    const timer = setTimeout(() => void proc.stop(), 600_000);
    const code = await proc.exited.finally(() => clearTimeout(timer));
    if (code !== 0) {
      // stack.sh's own error line, else the last line of its output (a log's tail).
      const lines = proc.tail().trim().split('\n');
      const why = [...lines].reverse().find((line) => line.includes('error:')) ?? lines.at(-1) ?? '';
      registry = { reason: `\`npm run stack -- registry-up\` failed (${code}): ${why.slice(0, 300)}` };
    } else {
      const url = loadStack().schemaRegistryUrl;
      registry = url ? { url } : { reason: 'registry-up left no SCHEMA_REGISTRY_URL in .stack/env' };
    }
  } catch (error) {
    registry = { reason: `could not run \`npm run stack -- registry-up\`: ${String(error).slice(0, 300)}` };
  }
  ctx.log(
    `schema registry: ${'url' in registry ? registry.url : `unavailable, the Avro row is skipped (${registry.reason})`}`,
  );
  if ('reason' in registry) ctx.notes.push(`The Avro row did not run: ${registry.reason}.`);
  return registry;
}

/**
 * The relay's catch-up with OUTBOX_VALUE_ENCODING=avro over the same WAL as its JSON row (its
 * own slot, created with the others before the data), through relayCatchUp: the schema from a
 * directory (`<EVENT_TYPE>.avsc`), registered under `outbox.avro.<type>-value`, records in
 * `outbox.avro.<type>`, a dead-letter topic of its own that must stay empty. The read-back
 * decodes every value with the schema.
 */
export async function avroCatchUp(
  ctx: BenchContext,
  scenario: WalScenario,
  registryUrl: string,
): Promise<CatchUpResult> {
  const text = JSON.stringify(avroSchema(ctx), null, 2);
  const dir = `${ctx.runDir}/avro-schemas`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${EVENT_TYPE}.avsc`, `${text}\n`);
  const { type } = parseAvroSchema(text);
  const seqOf: SeqReader = (value) => {
    if (!value || value.length < WIRE_HEADER_BYTES || value[0] !== 0) return undefined;
    try {
      return (type.fromBuffer(value.subarray(WIRE_HEADER_BYTES)) as { seq: number }).seq;
    } catch {
      return undefined;
    }
  };
  const topics = avroTopics(scenario.aggregateType);
  return relayCatchUp(ctx, scenario, {
    label: AVRO,
    topic: topics.records,
    seqOf,
    deadLetterTopic: topics.deadLetters,
    env: {
      OUTBOX_SLOT: slotName(scenario.url, 'relay_avro'),
      OUTBOX_TOPIC_TEMPLATE: topics.template,
      OUTBOX_DLQ_TOPIC: topics.deadLetters,
      OUTBOX_VALUE_ENCODING: 'avro',
      OUTBOX_SCHEMA_REGISTRY_URL: registryUrl,
      OUTBOX_AVRO_SCHEMAS_DIR: dir,
      OUTBOX_AVRO_REGISTER: 'true',
    },
  });
}
