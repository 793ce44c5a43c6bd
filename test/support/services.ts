import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { waitUntilWritable } from './kafka.js';

/** Where the integration tests' services come from; only the local stack can be stopped and restarted. */
export type ServicesKind = 'local-stack' | 'containers' | 'environment';

export interface TestServices {
  /** A role with LOGIN REPLICATION CREATEDB; tests create their own databases with it. */
  readonly databaseUrl: string;
  /** Comma-separated host:port list. */
  readonly kafkaBrokers: string;
  readonly kind: ServicesKind;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

const STACK_SCRIPT = fileURLToPath(new URL('../../scripts/stack.sh', import.meta.url));
const run = promisify(execFile);

/** The services that test/support/global-setup.ts started or found. */
export function serviceUrls(): TestServices {
  const services = inject('services');
  if (!services) {
    throw new Error('no services were provided: run integration tests in the vitest project "integration"');
  }
  return services;
}

/** Runs `scripts/stack.sh <command>`; returns its last line of output. Only on the local stack. */
export async function stackCommand(command: string, ...args: string[]): Promise<string> {
  const { kind } = serviceUrls();
  if (kind !== 'local-stack') {
    throw new Error(
      `'${command}' needs the local stack (scripts/stack.sh) but these tests run against ${kind} services; ` +
        'unset DATABASE_URL and KAFKA_BROKERS (and stop Docker) to use the local stack',
    );
  }
  try {
    const { stdout } = await run('bash', [STACK_SCRIPT, command, ...args], { timeout: 180_000 });
    return stdout.trim().split('\n').at(-1) ?? '';
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`scripts/stack.sh ${[command, ...args].join(' ')} failed:\n${stderr}`, { cause: error });
  }
}

/** Stops the Kafka broker (SIGTERM, SIGKILL after 20 s). */
export async function stopKafka(): Promise<void> {
  await stackCommand('stop-kafka');
}

/**
 * Starts the Kafka broker again; returns once it answers and takes writes (waitUntilWritable):
 * what a test measures after this is the relay's recovery, not the broker's own start-up.
 */
export async function startKafka(): Promise<void> {
  await stackCommand('start-kafka');
  await waitUntilWritable(serviceUrls().kafkaBrokers);
}

/** `pg_ctl restart -m <mode>`: 'immediate' is a crash (recovery from WAL at start). Waits until it answers. */
export async function restartPostgres(mode: 'fast' | 'immediate'): Promise<void> {
  await stackCommand('restart-pg', mode);
}
