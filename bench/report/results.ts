import type { MachineFacts } from '../lib/machine.js';
import type { Plan } from '../lib/plan.js';
import type { Workload } from '../lib/workload.js';
import type { DecodeCeiling, ProducerCeiling } from '../systems/ceilings.js';
import type { LatencyResult } from '../systems/latency.js';
import type { CatchUpResult } from '../systems/measure.js';
import type { ProfileSummary } from '../systems/profile.js';

export interface Failed {
  readonly system?: string;
  readonly error: string;
}

export function failed(value: unknown): value is Failed {
  return typeof value === 'object' && value !== null && 'error' in value;
}

/** One relay row against another of the same group (same WAL, same run): `of` / `to`. */
export interface RowComparison {
  readonly eventsPerSecond: number | null;
  readonly cpuSecondsPerMillion: number | null;
  readonly of: { eventsPerSecond: number; cpuSecondsPerMillion: number | null };
  readonly to: { eventsPerSecond: number; cpuSecondsPerMillion: number | null };
}

export interface CatchUpGroup {
  readonly workload: Workload;
  readonly headline: boolean;
  readonly featured?: boolean;
  writeSeconds?: number;
  payloadBytes?: number;
  decode?: DecodeCeiling | Failed;
  producer?: ProducerCeiling | Failed | undefined;
  readonly results: Array<CatchUpResult | Failed>;
  /** The Avro row / the default (JSON) row, when both ran and succeeded. */
  avroVsJson?: RowComparison;
  /** The default row (librdkafka) / the kafkajs row, when both ran and succeeded. */
  defaultVsKafkajs?: RowComparison;
  /** The exactly-once row over the default (at-least-once) row, on the same WAL. */
  exactlyOnceVsAtLeastOnce?: RowComparison;
  /** The WAL-messages row / the default (table rows) row, when both ran and succeeded. */
  messagesVsTable?: RowComparison;
}

export interface LatencyGroup {
  readonly rate: number;
  readonly results: Array<LatencyResult | Failed>;
}

export interface BenchResults {
  readonly date: string;
  readonly runId: string;
  readonly mode: 'quick' | 'full';
  readonly args: string[];
  readonly machine: MachineFacts;
  readonly plan: Plan;
  readonly debezium: { available: boolean; reason: string | null; heap: string; version: string | null };
  /** The Avro row's schema registry and record schema; absent when the row was not selected. */
  readonly avro?: { registryUrl: string | null; reason: string | null; schema: object };
  catchUp: CatchUpGroup[];
  latency: LatencyGroup[];
  profile?: ProfileSummary;
  durationSeconds: number;
  readonly notes: string[];
}
