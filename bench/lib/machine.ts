import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import type { BenchContext } from './context.js';
import { withClient } from './db.js';
import { ROOT } from './stack.js';

export interface MachineFacts {
  readonly nproc: number;
  readonly memoryGiB: number;
  readonly cpuModel: string;
  readonly kernel: string;
  readonly node: string;
  readonly postgres: string;
  readonly kafka: string;
  readonly java: string;
  readonly gitCommit: string;
  /** Uncommitted changes in the tree when the benchmark ran (other work in progress). */
  readonly gitDirty: boolean;
  readonly loadAverageAtStart: number[];
}

function command(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    return stderr?.trim() || 'unknown';
  }
}

export async function machineFacts(ctx: BenchContext): Promise<MachineFacts> {
  const postgres = await withClient(ctx.stack.databaseUrl, async (client) => {
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    return rows[0]?.version ?? 'unknown';
  });
  const kafkaJar = command('bash', ['-c', `ls ${ctx.stack.kafkaLib} | grep -E '^kafka-clients-' | head -1`]);
  const { readFileSync } = await import('node:fs');
  const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  return {
    nproc: Number(command('nproc', [])),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    kernel: command('uname', ['-r']),
    node: process.version,
    postgres,
    kafka: kafkaJar.replace(/^kafka-clients-/, '').replace(/\.jar$/, ''),
    java: command('bash', ['-c', 'java -version 2>&1 | head -1']),
    gitCommit: command('git', ['rev-parse', 'HEAD']),
    gitDirty: command('git', ['status', '--porcelain']).length > 0,
    loadAverageAtStart: loadavg,
  };
}
