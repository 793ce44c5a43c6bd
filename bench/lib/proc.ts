import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** A child process whose CPU time and peak memory are read from /proc. */
export interface Tracked {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  /** utime + stime of the process so far, seconds (0 once it has exited). */
  cpuSeconds(): number;
  /** VmHWM (peak resident set size), bytes; the last value read once it has exited. */
  peakRssBytes(): number;
  /** Resolves when a line of output matches `pattern`; rejects if the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** The tail of the output, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<number | string>;
}

export function spawnTracked(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; logFile: string },
): Tracked {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  const log = createWriteStream(options.logFile);
  let recent = '';
  let waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    recent = (recent + chunk.toString()).slice(-20_000);
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let lastHwm = 0;
  let alive = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      log.end();
      for (const waiter of waiters) waiter();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const peakRssBytes = () => {
    if (!alive) return lastHwm;
    try {
      const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      lastHwm = Math.max(lastHwm, Number(kib ?? 0) * 1024);
    } catch {
      // exited between the check and the read
    }
    return lastHwm;
  };
  return {
    pid,
    child,
    exited,
    cpuSeconds: () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      } catch {
        return 0;
      }
    },
    peakRssBytes,
    tail: () => recent.slice(-4000),
    waitForOutput: (pattern, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        let done = false;
        const check = () => {
          if (done) return;
          if (pattern.test(recent)) {
            done = true;
            clearTimeout(timer);
            waiters = waiters.filter((waiter) => waiter !== check);
            resolve();
          } else if (!alive) {
            done = true;
            clearTimeout(timer);
            reject(new Error(`${command} exited before printing ${pattern}:\n${recent.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          done = true;
          waiters = waiters.filter((waiter) => waiter !== check);
          reject(
            new Error(`${command} did not print ${pattern} within ${timeoutMs} ms:\n${recent.slice(-3000)}`),
          );
        }, timeoutMs);
        waiters.push(check);
        check();
      }),
    stop: async (graceMs = 15_000) => {
      peakRssBytes();
      if (!alive) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs a command to completion; rejects on a non-zero exit. */
export async function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; logFile: string; timeoutMs?: number },
): Promise<string> {
  const tracked = spawnTracked(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    logFile: options.logFile,
  });
  const timer = setTimeout(() => tracked.child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
  const code = await tracked.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${tracked.tail()}`);
  return tracked.tail();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
