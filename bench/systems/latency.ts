import type { LatencyConsumer } from '../lib/kafka.js';
import type { HistogramSummary } from '../lib/prometheus.js';
import { type Percentiles, percentiles, round } from '../lib/stats.js';
import type { PacedLoad, PacedResult } from '../lib/writer.js';

export interface LatencyResult {
  readonly system: string;
  readonly rate: number;
  readonly txSize: number;
  readonly payloadBytes: number;
  readonly seconds: number;
  readonly events: number;
  readonly achievedRate: number;
  readonly lateTransactions: number;
  /** Share of the written events the consumer received before the deadline. */
  readonly delivered: number;
  /** Commit (or created_at) to broker ack, ms, after the warm-up, per event (polling worker's own clock). */
  readonly ack: Percentiles | null;
  /** Commit to broker ack from the relay's outbox_end_to_end_latency_seconds histogram (/metrics). */
  readonly ackHistogram?: HistogramSummary | null;
  /** Commit (record timestamp) to consumer receive, ms, after the warm-up. */
  readonly endToEnd: Percentiles | null;
  readonly cpuSecondsPerMillion: number;
  readonly peakRssMb: number;
}

/** Reads float64 pairs (time, latency) written by the relay probe or the polling worker. */
export function readPairs(buffer: Buffer): Float64Array {
  const copy = new Uint8Array(buffer.byteLength);
  copy.set(buffer);
  return new Float64Array(copy.buffer, 0, Math.floor(buffer.byteLength / 8));
}

/** Latencies of events committed after the warm-up. */
function afterWarmup(pairs: Float64Array, fromMs: number): number[] {
  const out: number[] = [];
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    if ((pairs[index] ?? 0) >= fromMs) out.push(pairs[index + 1] ?? 0);
  }
  return out;
}

export function latencyResult(input: {
  system: string;
  load: PacedLoad;
  written: PacedResult;
  warmupMs: number;
  consumer: LatencyConsumer;
  complete: boolean;
  acks: Float64Array;
  cpuSeconds: number;
  peakRssBytes: number;
}): LatencyResult {
  const from = input.written.startedAtMs + input.warmupMs;
  return {
    system: input.system,
    rate: input.load.rate,
    txSize: input.load.txSize,
    payloadBytes: input.load.payloadBytes,
    seconds: input.load.seconds,
    events: input.written.events,
    achievedRate: round(input.written.achievedRate, 0),
    lateTransactions: input.written.lateTransactions,
    delivered: round(input.consumer.count / input.written.events, 4),
    ack: input.acks.length > 0 ? percentiles(afterWarmup(input.acks, from)) : null,
    endToEnd: percentiles(afterWarmup(input.consumer.samples.values(), from)),
    cpuSecondsPerMillion: round((input.cpuSeconds / input.written.events) * 1e6, 1),
    peakRssMb: round(input.peakRssBytes / 2 ** 20, 1),
  };
}
