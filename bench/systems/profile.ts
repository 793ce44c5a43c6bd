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
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
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
  const own = /\/dist\/(?:([^/]+)\/)?([^/]+)$/.exec(url);
  if (own) return own[1] ? `src/${own[1]}` : `src/${own[2]?.replace(/\.js$/, '.ts')}`;
  return relative(ROOT, url.replace('file://', ''));
}

export function summarizeProfile(
  profile: CpuProfile,
  top = 25,
): Omit<ProfileSummary, 'workload' | 'file' | 'run'> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
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
    byArea: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, micros]) => ({ area: name, selfPercent: round((micros / total) * 100, 1) })),
  };
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
