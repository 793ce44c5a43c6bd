import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The relay CLI as a separate OS process (run from source through tsx), for crash and exit tests. */
export interface RelayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRssBytes(): Promise<number>;
}

export function startRelayProcess(args: string[], env: Record<string, string>): RelayProcess {
  return startScriptProcess(CLI, args, { OUTBOX_METRICS_PORT: '0', ...env });
}

/** A TypeScript script of the project as a separate OS process (through tsx), its output kept. */
export function startScriptProcess(
  script: string,
  args: string[],
  env: Record<string, string>,
): RelayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  if (child.pid === undefined) throw new Error('could not start the relay process');
  const pid = child.pid;
  return {
    child,
    pid,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
    peakRssBytes: async () => {
      const { readFile } = await import('node:fs/promises');
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return Number(kib) * 1024;
    },
  };
}

/** Runs the CLI to completion and returns its exit code and everything it printed. */
export async function runRelayCommand(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | string; output: string }> {
  const relay = startRelayProcess(args, env);
  const timer = setTimeout(() => relay.kill('SIGKILL'), timeoutMs);
  const code = await relay.exited;
  clearTimeout(timer);
  return { code, output: relay.output() };
}

/** How many sessions the relay has started streaming: each reconnect adds one. */
export function streamingSessions(relay: RelayProcess): number {
  return relay.output().split('"msg":"streaming"').length - 1;
}

/** The first JSON log line of `output` whose text contains `text`, parsed; undefined when none does. */
export function logEntry(output: string, text: string): Record<string, unknown> | undefined {
  const line = output.split('\n').find((candidate) => candidate.includes(text));
  return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
}
