import { mkdirSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { kafkaClient } from './kafka.js';
import { loadStack, type Stack, WORK } from './stack.js';

/** What every measurement needs: the stack, a Kafka client, this run's id and scratch folder. */
export interface BenchContext {
  readonly stack: Stack;
  readonly kafka: Kafka;
  /** Short, lower-case, unique per harness run: goes into database, slot and topic names. */
  readonly runId: string;
  /** bench/.work/runs/<runId>: logs, configuration files, sample files. */
  readonly runDir: string;
  log(message: string): void;
  /** Things the reader of the results must know (workarounds applied, baselines skipped). */
  readonly notes: string[];
}

export function createContext(): BenchContext {
  const stack = loadStack();
  const runId = `r${Date.now().toString(36)}`;
  const runDir = `${WORK}/runs/${runId}`;
  mkdirSync(runDir, { recursive: true });
  const started = performance.now();
  return {
    stack,
    kafka: kafkaClient(stack.kafkaBrokers),
    runId,
    runDir,
    notes: [],
    log: (message) =>
      console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}`),
  };
}

/** A name safe for PostgreSQL identifiers and Kafka topics. */
export function safeName(...parts: string[]): string {
  return parts
    .join('_')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
}
