import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import type { Plan } from '../lib/plan.js';
import { dropScenario, prepareWalScenario } from '../lib/scenario.js';
import { ROOT } from '../lib/stack.js';
import { round } from '../lib/stats.js';
import type { CatchUpResult } from './measure.js';
import { relayCatchUp } from './relay.js';

export interface ProfileEntry {
  readonly functionName: string;
  readonly location: string;
  readonly selfMs: number;
  readonly selfPercent: number;
}

export interface ProfileSummary {
  readonly workload: string;
  readonly file: string;
  readonly totalMs: number;
  readonly run: CatchUpResult;
  /** Self time by function, highest first. */
  readonly top: ProfileEntry[];
  /** Self time by where the code lives: src/<folder>, a package, node internals, GC, idle. */
  readonly byArea: Array<{ area: string; selfPercent: number }>;
  /**
   * The same, with time in node internals and native code charged to the nearest JavaScript
   * caller of ours or of a package (Buffer work done for kafkajs counts as kafkajs).
   */
  readonly byCaller: Array<{ area: string; selfPercent: number }>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/dist\/(.+)$/.exec(url)?.[1];
  if (own) return own.includes('/') ? `src/${own.split('/')[0]}` : `src/${own.replace(/\.js$/, '.ts')}`;
  return relative(ROOT, url.replace('file://', ''));
}

export function summarizeProfile(
  profile: CpuProfile,
  top = 25,
): Omit<ProfileSummary, 'workload' | 'file' | 'run'> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const callerArea = (id: number): string => {
    const leaf = byId.get(id);
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current)?.callFrame;
      if (frame?.url && !frame.url.startsWith('node:')) return area(frame.url, frame.functionName);
    }
    return area(leaf?.callFrame.url ?? '', leaf?.callFrame.functionName ?? '');
  };
  const byCaller = new Map<string, number>();
  const selfByKey = new Map<
    string,
    { entry: Omit<ProfileEntry, 'selfMs' | 'selfPercent'>; micros: number }
  >();
  const byArea = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    total += micros;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const location = url ? `${relative(ROOT, url.replace('file://', ''))}:${lineNumber + 1}` : '';
    const key = `${name}@${location}`;
    const current = selfByKey.get(key) ?? { entry: { functionName: name, location }, micros: 0 };
    current.micros += micros;
    selfByKey.set(key, current);
    const where = area(url, name);
    byArea.set(where, (byArea.get(where) ?? 0) + micros);
    const caller = callerArea(id);
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + micros);
  });
  const entries = [...selfByKey.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, top)
    .map(({ entry, micros }) => ({
      ...entry,
      selfMs: round(micros / 1000, 0),
      selfPercent: round((micros / total) * 100, 1),
    }));
  return {
    totalMs: round(total / 1000, 0),
    top: entries,
    byArea: percentages(byArea, total),
    byCaller: percentages(byCaller, total),
  };
}

function percentages(
  micros: Map<string, number>,
  total: number,
): Array<{ area: string; selfPercent: number }> {
  return [...micros.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, time]) => ({ area: name, selfPercent: round((time / total) * 100, 1) }));
}

/** A catch-up of the plan's headline workload with `node --cpu-prof`; where the relay's time goes. */
export async function profileRelay(ctx: BenchContext, plan: Plan): Promise<ProfileSummary> {
  const step = plan.catchUp.find((candidate) => candidate.headline) ?? plan.catchUp[0];
  if (!step) throw new Error('the plan has no catch-up workload to profile');
  const dir = `${ctx.runDir}/profile`;
  mkdirSync(dir, { recursive: true });
  ctx.log(`== profiling a catch-up of ${step.load.name}: writing ${step.load.events} events`);
  const scenario = await prepareWalScenario(ctx, step.load, { debezium: false });
  try {
    const run = await relayCatchUp(ctx, scenario, {
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
      label: 'outbox-relay (--cpu-prof)',
    });
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
    const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as CpuProfile;
    return {
      workload: step.load.name,
      file: relative(ROOT, `${dir}/${file}`),
      run,
      ...summarizeProfile(profile),
    };
  } finally {
    await dropScenario(ctx, scenario);
  }
}
