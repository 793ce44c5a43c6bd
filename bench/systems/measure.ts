import type { BenchContext } from '../lib/context.js';
import { type SeqReader, type Verification, verifyTopic, waitForRecords } from '../lib/kafka.js';
import type { Tracked } from '../lib/proc.js';
import { round } from '../lib/stats.js';

/** One system's catch-up over one scenario. */
export interface CatchUpResult {
  readonly system: string;
  readonly workload: string;
  readonly events: number;
  /** Payload bytes delivered (the record values). */
  readonly bytes: number;
  /** From the first acknowledged record seen to the last: the streaming rate, start-up excluded. */
  readonly eventsPerSecond: number;
  readonly mbPerSecond: number;
  /** Same, from process start (includes start-up: JVM, connections, slot checks). */
  readonly eventsPerSecondWithStartup: number;
  readonly secondsWithStartup: number;
  /** CPU (user + system) of the process between the first and the last acked record, per million events. */
  readonly cpuSecondsPerMillion: number | null;
  readonly peakRssMb: number | null;
  readonly verification?: Verification;
  /** What the process reported about itself (the relay: batches from its /metrics). */
  readonly internals?: Record<string, number>;
  readonly note?: string;
}

/**
 * Starts a process, waits until `expected` records are acknowledged in `topic` (end offsets),
 * samples its CPU and peak RSS, stops it, then reads the topic back to verify.
 * `bytes: 'read back'` (record values that are not the payload's text, such as Avro) takes the
 * values' mean size as read back, times the events.
 */
export async function measureCatchUp(
  ctx: BenchContext,
  options: {
    system: string;
    workload: string;
    topic: string;
    expected: number;
    bytes: number | 'read back';
    timeoutMs: number;
    start: () => Tracked;
    verify?: boolean;
    /** How the read-back finds an event's `seq` in a record value (default: the JSON text). */
    seqOf?: SeqReader;
    /** The process's dead-letter topic, which must stay empty during the run. */
    deadLetterTopic?: string;
    /** Runs once everything is acknowledged, before the process is stopped. */
    inspect?: () => Promise<Record<string, number>>;
  },
): Promise<CatchUpResult> {
  const started = performance.now();
  const proc = options.start();
  let cpuAtFirst = 0;
  try {
    const timeline = await waitForRecords(ctx.kafka, options.topic, options.expected, {
      timeoutMs: options.timeoutMs,
      onFirst: () => {
        cpuAtFirst = proc.cpuSeconds();
      },
      failed: proc.exited,
      deadLetterTopic: options.deadLetterTopic,
    });
    const cpuAtEnd = proc.cpuSeconds();
    const rss = proc.peakRssBytes();
    const internals = await options.inspect?.().catch(() => undefined);
    await proc.stop();
    const streamed = options.expected - timeline.firstCount;
    const streamSeconds = (timeline.lastAt - timeline.firstAt) / 1000;
    const totalSeconds = (timeline.lastAt - started) / 1000;
    // Everything arrived within one poll: only the rate from start-up is meaningful.
    const useTotal = streamed < options.expected * 0.5 || streamSeconds <= 0;
    const rate = useTotal ? options.expected / totalSeconds : streamed / streamSeconds;
    const verification =
      options.verify === false
        ? undefined
        : await verifyTopic(ctx.kafka, options.topic, options.expected, 300_000, options.seqOf);
    const bytes =
      options.bytes !== 'read back'
        ? options.bytes
        : verification && verification.records > 0
          ? Math.round((verification.valueBytes / verification.records) * options.expected)
          : 0;
    return {
      system: options.system,
      workload: options.workload,
      events: options.expected,
      bytes,
      eventsPerSecond: round(rate, 0),
      mbPerSecond: round((rate * bytes) / options.expected / 1e6, 2),
      eventsPerSecondWithStartup: round(options.expected / totalSeconds, 0),
      secondsWithStartup: round(totalSeconds, 2),
      cpuSecondsPerMillion:
        streamed > 0 && !useTotal ? round(((cpuAtEnd - cpuAtFirst) / streamed) * 1e6, 1) : null,
      peakRssMb: round(rss / 2 ** 20, 1),
      ...(verification ? { verification } : {}),
      ...(internals ? { internals } : {}),
    };
  } finally {
    await proc.stop(5_000);
  }
}
