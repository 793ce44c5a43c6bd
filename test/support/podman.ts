import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** podman as scripts/container.sh sets it up here, and the images it builds. */
export interface PodmanHere {
  readonly env: NodeJS.ProcessEnv;
  readonly image: string;
  readonly prometheusImage: string;
  /** Runs podman; resolves with its trimmed stdout, rejects with its stderr. */
  podman(...args: string[]): Promise<string>;
  /** `podman run --rm` of the relay image on the host's network, read-only, with this environment. */
  relayCommand(env: Record<string, string>, ...args: string[]): Promise<string>;
}

/** `-e NAME=value` for each variable. */
export function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
}

/** podman, installed and checked by scripts/container.sh; undefined (with a warning saying why) where it cannot run. */
function findPodman(): PodmanHere | undefined {
  const check = spawnSync('bash', ['scripts/container.sh', 'check'], { cwd: ROOT, encoding: 'utf8' });
  if (check.status !== 0) {
    console.warn(
      `container tests skipped: ${check.stderr.trim().split('\n').at(-1) ?? 'podman check failed'}`,
    );
    return undefined;
  }
  const printed = spawnSync('bash', ['scripts/container.sh', 'env'], { cwd: ROOT, encoding: 'utf8' }).stdout;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [, name, value] of printed.matchAll(/(\w+)=(\S+)/g)) env[name as string] = value;
  const image = env.CONTAINER_IMAGE as string;
  const podman = async (...args: string[]) =>
    (await run('podman', args, { env, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
  return {
    env,
    image,
    prometheusImage: env.PROMETHEUS_IMAGE as string,
    podman,
    relayCommand: (relayEnv, ...args) =>
      podman('run', '--rm', '--network', 'host', '--read-only', ...envArgs(relayEnv), image, ...args),
  };
}

export const podmanHere = findPodman();

/** `bash scripts/container.sh <args>` (builds the images on first use); resolves with its stdout. */
export async function containerScript(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string> {
  const started = Date.now();
  const { stdout } = await run('bash', ['scripts/container.sh', ...args], {
    cwd: ROOT,
    env: { ...(podmanHere?.env ?? process.env), ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (args[0] === 'image' || args[0] === 'prometheus') {
    console.log(`container.sh ${args[0]}: ${((Date.now() - started) / 1000).toFixed(0)} s (built or cached)`);
  }
  return stdout;
}
