/**
 * `npm run bench` (full) and `npm run bench -- --quick`: every system measured in this run,
 * on this PostgreSQL and this Kafka, results as ratios. See bench/README.md.
 *
 * Options: --quick, --scale F (multiply catch-up sizes), --latency-seconds S,
 * --only decode,producer,relay,kafkajs,exactly-once,polling,debezium,avro,messages,latency, --profile (CPU
 * profile of a relay catch-up). `kafkajs`, `exactly-once`, `avro` and `messages` also run the default relay
 * row they are compared with.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type BenchContext, createContext } from './lib/context.js';
import { stackEpoch } from './lib/disturbance.js';
import { machineFacts } from './lib/machine.js';
import { type CatchUpSystem, FULL, type Plan, QUICK, scaled } from './lib/plan.js';
import {
  dropScenario,
  prepareMessageScenario,
  preparePollingScenario,
  prepareWalScenario,
  type WalScenario,
} from './lib/scenario.js';
import { ROOT } from './lib/stack.js';
import type { Workload } from './lib/workload.js';
import { renderCharts } from './report/charts.js';
import { renderMarkdown } from './report/markdown.js';
import {
  type BenchResults,
  type CatchUpGroup,
  type Failed,
  failed,
  type LatencyGroup,
} from './report/results.js';
import { AVRO, compareRows, EXACTLY_ONCE, KAFKAJS, MESSAGES, RELAY } from './report/summary.js';
import { avroCatchUp, avroSchema, type Registry, startRegistry } from './systems/avro.js';
import {
  type DecodeCeiling,
  decodeCeiling,
  type ProducerCeiling,
  producerCeiling,
} from './systems/ceilings.js';
import { DEBEZIUM_HEAP, debeziumCatchUp, debeziumUnavailable, debeziumVersion } from './systems/debezium.js';
import type { CatchUpResult } from './systems/measure.js';
import { pollingCatchUp, pollingLatency } from './systems/polling.js';
import { profileRelay } from './systems/profile.js';
import {
  exactlyOnceCatchUp,
  kafkajsCatchUp,
  messagesCatchUp,
  relayCatchUp,
  relayLatency,
} from './systems/relay.js';

interface Args {
  quick: boolean;
  scale: number | undefined;
  latencySeconds: number | undefined;
  only: Set<string> | undefined;
  profile: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    scale: undefined,
    latencySeconds: undefined,
    only: undefined,
    profile: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const next = () => argv[++index] ?? '';
    if (arg === '--quick') args.quick = true;
    else if (arg === '--scale') args.scale = Number(next());
    else if (arg === '--latency-seconds') args.latencySeconds = Number(next());
    else if (arg === '--only') args.only = new Set(next().split(','));
    else if (arg === '--profile') args.profile = true;
    else throw new Error(`unknown option ${arg}`);
  }
  return args;
}

/**
 * Runs one measurement; measures again (twice at most) when Kafka or PostgreSQL restarted
 * meanwhile (concurrent fault tests share the stack), and says so in the notes.
 */
async function attempt<T>(
  ctx: BenchContext,
  what: string,
  work: () => Promise<T>,
): Promise<T | { error: string }> {
  for (let round = 1; ; round++) {
    ctx.log(`${what} ...`);
    const before = await stackEpoch(ctx);
    const loadBefore = loadAverage();
    let outcome: T | { error: string };
    try {
      outcome = await work();
      // Other work on the machine (test suites) competes for the 2 cores: keep the evidence.
      if (typeof outcome === 'object' && outcome !== null) {
        Object.assign(outcome, { loadAverage1m: { start: loadBefore, end: loadAverage() } });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome = { error: message.slice(0, 2000) };
    }
    const after = await stackEpoch(ctx);
    if (before !== after) {
      const note = `${what}: Kafka or PostgreSQL restarted during the measurement (${before} -> ${after}; concurrent fault tests share the stack)`;
      if (round < 3) {
        ctx.log(`${note}; measuring again`);
        ctx.notes.push(`${note}; measured again.`);
        continue;
      }
      ctx.notes.push(`${note}; kept the third attempt anyway: treat it with suspicion.`);
    }
    ctx.log(`${what}: ${'error' in (outcome as object) ? 'FAILED ' : ''}${JSON.stringify(outcome)}`);
    return outcome;
  }
}

/** The 1-minute load average (runnable processes; this machine has 2 cores). */
function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/**
 * The relay with OUTBOX_SOURCE=messages over the workload written as WAL messages, in a
 * database of its own written now (after the table row ran) and dropped afterwards.
 */
async function messagesRow(ctx: BenchContext, load: Workload): Promise<CatchUpResult | Failed> {
  ctx.log(`== ${load.name}: writing ${load.events} events as WAL messages`);
  let scenario: WalScenario;
  try {
    scenario = await prepareMessageScenario(ctx, load);
  } catch (error) {
    return {
      system: MESSAGES,
      error: `not run: could not prepare the scenario (${String(error).slice(0, 300)})`,
    };
  }
  try {
    const outcome = await attempt(ctx, `${MESSAGES} ${load.name}`, () => messagesCatchUp(ctx, scenario));
    return failed(outcome) ? { system: MESSAGES, ...outcome } : outcome;
  } finally {
    await dropScenario(ctx, scenario);
  }
}

async function catchUp(
  ctx: BenchContext,
  plan: Plan,
  wanted: (system: CatchUpSystem) => boolean,
  registry: Registry | undefined,
): Promise<CatchUpGroup[]> {
  const groups: CatchUpGroup[] = [];
  const producerRuns = new Map<string, ProducerCeiling | { error: string }>();
  const debeziumReason = debeziumUnavailable();
  for (const step of plan.catchUp) {
    const load = step.load;
    const has = (system: CatchUpSystem) => step.systems.includes(system) && wanted(system);
    const group: CatchUpGroup = {
      workload: load,
      headline: step.headline,
      featured: step.featured ?? false,
      results: [],
    };
    groups.push(group);
    const registryUrl = has('avro') && registry && 'url' in registry ? registry.url : undefined;
    const compared = has('kafkajs') || has('exactly-once') || registryUrl !== undefined || has('messages');
    if (has('decode') || has('relay') || has('debezium') || compared) {
      const useDebezium = has('debezium') && !debeziumReason;
      ctx.log(`== ${load.name}: writing ${load.events} events`);
      const scenario = await prepareWalScenario(ctx, load, {
        debezium: useDebezium,
        kafkajs: has('kafkajs'),
        exactlyOnce: has('exactly-once'),
        avro: registryUrl !== undefined,
      }).catch((error: unknown) => {
        ctx.notes.push(
          `${load.name}: could not prepare the scenario (${String(error).slice(0, 300)}); skipped.`,
        );
        return undefined;
      });
      if (!scenario) continue;
      group.writeSeconds = scenario.writeSeconds;
      group.payloadBytes = scenario.payloadBytes;
      try {
        if (has('decode')) {
          group.decode = (await attempt(ctx, `pg_recvlogical ${load.name}`, () =>
            decodeCeiling(ctx, scenario),
          )) as DecodeCeiling | { error: string };
        }
        // The kafkajs and Avro rows are ratios to the default row: they run right after it, on the same WAL.
        if (has('relay') || compared)
          group.results.push(
            await attempt(ctx, `outbox-relay ${load.name}`, () => relayCatchUp(ctx, scenario)),
          );
        // So is the WAL-messages row, on the same workload written as messages right after it.
        if (has('messages')) {
          group.results.push(await messagesRow(ctx, load));
          const comparison = compareRows(group, MESSAGES, RELAY);
          if (comparison) group.messagesVsTable = comparison;
        }
        if (has('kafkajs')) {
          group.results.push(
            await attempt(ctx, `${KAFKAJS} ${load.name}`, () => kafkajsCatchUp(ctx, scenario)),
          );
          const comparison = compareRows(group, RELAY, KAFKAJS);
          if (comparison) group.defaultVsKafkajs = comparison;
        }
        if (has('exactly-once')) {
          group.results.push(
            await attempt(ctx, `${EXACTLY_ONCE} ${load.name}`, () => exactlyOnceCatchUp(ctx, scenario)),
          );
          const comparison = compareRows(group, EXACTLY_ONCE, RELAY);
          if (comparison) group.exactlyOnceVsAtLeastOnce = comparison;
        }
        if (registryUrl !== undefined) {
          group.results.push(
            await attempt(ctx, `${AVRO} ${load.name}`, () => avroCatchUp(ctx, scenario, registryUrl)),
          );
          const comparison = compareRows(group, AVRO, RELAY);
          if (comparison) group.avroVsJson = comparison;
        }
        if (has('debezium')) {
          group.results.push(
            useDebezium
              ? await attempt(ctx, `Debezium ${load.name}`, () => debeziumCatchUp(ctx, scenario))
              : { system: 'Debezium Server', error: `not run: ${debeziumReason}` },
          );
        }
      } finally {
        await dropScenario(ctx, scenario);
      }
    }
    if (has('avro') && registryUrl === undefined) {
      const reason = registry && 'reason' in registry ? registry.reason : 'no schema registry';
      group.results.push({ system: AVRO, error: `not run: ${reason}` });
    }
    if (has('producer')) {
      const key = `${load.events}x${load.payloadBytes}`;
      if (!producerRuns.has(key)) {
        producerRuns.set(
          key,
          await attempt(ctx, `ProducerPerformance ${key}`, () =>
            producerCeiling(ctx, load.events, load.payloadBytes),
          ),
        );
      }
      group.producer = producerRuns.get(key);
    }
    if (has('polling')) {
      ctx.log(`== ${load.name}: writing ${load.events} events to the polling table`);
      const scenario = await preparePollingScenario(ctx, load, 'poll').catch((error: unknown) => {
        ctx.notes.push(
          `${load.name}: could not prepare the polling table (${String(error).slice(0, 300)}); skipped.`,
        );
        return undefined;
      });
      if (!scenario) continue;
      try {
        group.results.push(
          await attempt(ctx, `polling 1000 ms ${load.name}`, () => pollingCatchUp(ctx, scenario, 1000)),
        );
      } finally {
        await dropScenario(ctx, scenario);
      }
    }
  }
  return groups;
}

async function latency(
  ctx: BenchContext,
  plan: Plan,
  wanted: (system: string) => boolean,
): Promise<LatencyGroup[]> {
  const groups: LatencyGroup[] = [];
  const { rates, seconds, warmupMs, txSize, payloadBytes, aggregates, pollingIntervalsMs, kafkajsRates } =
    plan.latency;
  for (const rate of rates) {
    const load = { name: `r${rate}`, rate, seconds, txSize, payloadBytes, aggregates };
    const group: LatencyGroup = { rate, results: [] };
    groups.push(group);
    if (wanted('relay')) {
      group.results.push(
        await attempt(ctx, `outbox-relay latency at ${rate}/s`, () => relayLatency(ctx, load, warmupMs)),
      );
    }
    if (wanted('kafkajs') && kafkajsRates.includes(rate)) {
      group.results.push(
        await attempt(ctx, `${KAFKAJS} latency at ${rate}/s`, () =>
          relayLatency(ctx, load, warmupMs, 'kafkajs'),
        ),
      );
    }
    if (wanted('polling')) {
      for (const interval of pollingIntervalsMs) {
        group.results.push(
          await attempt(ctx, `polling ${interval} ms latency at ${rate}/s`, () =>
            pollingLatency(ctx, load, interval, warmupMs),
          ),
        );
      }
    }
  }
  return groups;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const ctx = createContext();
  let plan = args.quick ? QUICK : FULL;
  if (args.scale !== undefined || args.latencySeconds !== undefined) {
    plan = scaled(plan, args.scale ?? 1, args.latencySeconds);
  }
  const wanted = (system: string) => !args.only || args.only.has(system);
  const started = new Date();
  ctx.log(`run ${ctx.runId}, ${plan.mode} plan, scratch in ${ctx.runDir}`);
  const machine = await machineFacts(ctx);
  // The schema registry only when the Avro row will run; it stays up afterwards, like the stack.
  const registry =
    !args.profile && wanted('avro') && plan.catchUp.some((step) => step.systems.includes('avro'))
      ? await startRegistry(ctx)
      : undefined;
  const results: BenchResults = {
    date: started.toISOString(),
    runId: ctx.runId,
    mode: plan.mode,
    args: process.argv.slice(2),
    machine,
    plan,
    debezium: {
      available: debeziumUnavailable() === undefined,
      reason: debeziumUnavailable() ?? null,
      heap: DEBEZIUM_HEAP,
      version: debeziumUnavailable() === undefined ? debeziumVersion() : null,
    },
    ...(registry
      ? {
          avro: {
            registryUrl: 'url' in registry ? registry.url : null,
            reason: 'reason' in registry ? registry.reason : null,
            schema: avroSchema(ctx),
          },
        }
      : {}),
    catchUp: [],
    latency: [],
    durationSeconds: 0,
    notes: ctx.notes,
  };
  if (args.profile) {
    results.profile = await profileRelay(ctx, plan);
  } else {
    results.catchUp = await catchUp(ctx, plan, wanted, registry);
    if (wanted('latency')) results.latency = await latency(ctx, plan, wanted);
  }
  results.durationSeconds = Math.round((Date.now() - started.getTime()) / 1000);
  const dir = `${ROOT}bench/results`;
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().slice(0, 16).replace(':', '');
  const base = `${dir}/${stamp}${plan.mode === 'quick' ? '-quick' : ''}${args.profile ? '-profile' : ''}`;
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  const charts = await renderCharts(results, base);
  writeFileSync(`${base}.md`, renderMarkdown(results, charts));
  ctx.log(
    `done in ${results.durationSeconds} s: ${base}.{json,md}${charts.length ? `, ${charts.join(', ')}` : ''}`,
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
