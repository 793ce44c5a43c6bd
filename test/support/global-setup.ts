import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { readStackEnv, STACK_ENV } from './stack-env.js';

const STACK_SCRIPT = fileURLToPath(new URL('../../scripts/stack.sh', import.meta.url));

/**
 * Finds or starts PostgreSQL and Kafka for the integration project and provides them as `services`
 * (read with serviceUrls()): DATABASE_URL and KAFKA_BROKERS from the environment if both are set, else
 * containers if a Docker engine answers, else the local stack (scripts/stack.sh up, left running).
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const { DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafkaBrokers } = process.env;
  if (databaseUrl && kafkaBrokers) {
    // The environment may point at the local stack (scripts/test.sh exports .stack/env): then it can restart it.
    const stack = await readStackEnv();
    const isStack = stack?.DATABASE_URL === databaseUrl && stack.KAFKA_BROKERS === kafkaBrokers;
    project.provide('services', { databaseUrl, kafkaBrokers, kind: isStack ? 'local-stack' : 'environment' });
    return undefined;
  }
  if (await dockerAnswers()) {
    const { startContainers } = await import('./containers.js');
    const containers = await startContainers();
    const { databaseUrl, kafkaBrokers } = containers;
    project.provide('services', { databaseUrl, kafkaBrokers, kind: 'containers' });
    return () => containers.stop();
  }
  await stackUp();
  const stack = await readStackEnv();
  if (!stack?.DATABASE_URL || !stack.KAFKA_BROKERS)
    throw new Error(`scripts/stack.sh up wrote no ${STACK_ENV}`);
  project.provide('services', {
    databaseUrl: stack.DATABASE_URL,
    kafkaBrokers: stack.KAFKA_BROKERS,
    kind: 'local-stack',
  });
  return undefined;
}

async function dockerAnswers(): Promise<boolean> {
  try {
    await promisify(execFile)('docker', ['info'], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** Output shown: a first start resolves the Kafka jars and says how long it took. */
function stackUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [STACK_SCRIPT, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`scripts/stack.sh up failed (exit code ${code})`)),
    );
  });
}
