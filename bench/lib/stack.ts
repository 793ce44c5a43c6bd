import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/lib/ is two levels below it). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Downloads, unpacked tools and per-run scratch files; git-ignored. */
export const WORK = `${ROOT}bench/.work`;
/** The local stack's state (scripts/stack.sh), which also holds the fetched Debezium Server. */
export const STACK = `${ROOT}.stack`;

export interface Stack {
  /** Outbox role's URL (REPLICATION, CREATEDB) on the stack's default database. */
  readonly databaseUrl: string;
  readonly kafkaBrokers: string;
  /** Directory of PostgreSQL's client programs (pg_recvlogical). */
  readonly pgBin: string;
  readonly kafkaLib: string;
  /** The schema registry's Confluent-compatible API, while `npm run stack -- registry-up` runs it. */
  readonly schemaRegistryUrl: string | undefined;
}

/** Reads `.stack/env`, written by `bash scripts/stack.sh up`. */
export function loadStack(): Stack {
  const path = `${ROOT}.stack/env`;
  if (!existsSync(path)) throw new Error(`${path} is missing: start the stack with \`npm run stack -- up\``);
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1]) continue;
    env[match[1]] = (match[2] ?? '').trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  const need = (name: string): string => {
    const value = process.env[name] ?? env[name];
    if (!value) throw new Error(`${name} is not set in ${path}`);
    return value;
  };
  return {
    databaseUrl: need('DATABASE_URL'),
    kafkaBrokers: need('KAFKA_BROKERS'),
    pgBin: process.env.PG_BIN ?? env.PG_BIN ?? '/usr/lib/postgresql/15/bin',
    kafkaLib: `${ROOT}.stack/kafka/lib`,
    schemaRegistryUrl: process.env.SCHEMA_REGISTRY_URL ?? env.SCHEMA_REGISTRY_URL,
  };
}

/** The same URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
