import type { LatencyResult } from '../systems/latency.js';
import type { CatchUpResult } from '../systems/measure.js';
import {
  type BenchResults,
  type CatchUpGroup,
  failed,
  type LatencyGroup,
  type RowComparison,
} from './results.js';

/** The relay with its defaults: the librdkafka sink. */
export const RELAY = 'outbox-relay';
/** The relay with OUTBOX_KAFKA_CLIENT=kafkajs, on the same WAL. */
export const KAFKAJS = 'outbox-relay kafkajs';
export const POLLING_CATCH_UP = 'polling 1000 ms';
export const POLLING_LATENCY = 'polling 100 ms';
export const DEBEZIUM = 'Debezium Server';
/** The relay with OUTBOX_VALUE_ENCODING=avro (bench/systems/avro.ts). */
export const AVRO = 'outbox-relay avro';
/** The relay with OUTBOX_SOURCE=messages, over the same workload written as WAL messages. */
export const MESSAGES = 'outbox-relay (WAL messages)';
/** The relay with OUTBOX_DELIVERY=exactly-once (Kafka transactions), on the same WAL. */
export const EXACTLY_ONCE = 'outbox-relay exactly-once';

export function catchUpOf(group: CatchUpGroup, system: string): CatchUpResult | undefined {
  return group.results.find((result): result is CatchUpResult => !failed(result) && result.system === system);
}

export function latencyOf(group: LatencyGroup, system: string): LatencyResult | undefined {
  return group.results.find((result): result is LatencyResult => !failed(result) && result.system === system);
}

/**
 * p99 of commit -> consumer receive: measured the same way for every system (one independent
 * consumer, per event, 1 ms resolution), so the ratios use it. The relay's /metrics histogram
 * has buckets 10, 25, 50, 100, 250 ms, ...: its interpolated tail quantiles are coarse.
 */
export function consumerP99(result: LatencyResult | undefined): number | undefined {
  return result?.endToEnd?.p99;
}

export function ratio(
  numerator: number | undefined | null,
  denominator: number | undefined | null,
): number | null {
  if (numerator === undefined || numerator === null || !denominator) return null;
  return Math.round((numerator / denominator) * 100) / 100;
}

/**
 * Two relay rows of one group (same WAL, back to back): events/s and CPU s per million events of
 * each, and `of` / `to` of both; null when either did not run.
 */
export function compareRows(group: CatchUpGroup, of: string, to: string): RowComparison | null {
  const a = catchUpOf(group, of);
  const b = catchUpOf(group, to);
  if (!a || !b) return null;
  return {
    eventsPerSecond: ratio(a.eventsPerSecond, b.eventsPerSecond),
    cpuSecondsPerMillion: ratio(a.cpuSecondsPerMillion, b.cpuSecondsPerMillion),
    of: { eventsPerSecond: a.eventsPerSecond, cpuSecondsPerMillion: a.cpuSecondsPerMillion },
    to: { eventsPerSecond: b.eventsPerSecond, cpuSecondsPerMillion: b.cpuSecondsPerMillion },
  };
}

/** min(decode ceiling, producer ceiling) in events/s, when both ran. */
export function ceiling(group: CatchUpGroup): number | undefined {
  const rates = [group.decode, group.producer]
    .filter((value) => value !== undefined && !failed(value))
    .map((value) => (value as { eventsPerSecond: number }).eventsPerSecond);
  return rates.length > 0 ? Math.min(...rates) : undefined;
}

export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

const fmt = (value: number | null | undefined, unit = ''): string =>
  value === null || value === undefined ? 'n/a' : `${value}${unit}`;

/** The targets (issue 12 and the README's), judged on the headline workload and the latency runs. */
export function targets(results: BenchResults): Target[] {
  const list: Target[] = [];
  const headline = results.catchUp.find((group) => group.headline);
  if (headline) list.push(...catchUpTargets(headline));
  for (const group of results.latency) list.push(...latencyTargets(group));
  const rssValues = [
    ...results.catchUp.map((group) => catchUpOf(group, RELAY)?.peakRssMb),
    ...results.latency.map((group) => latencyOf(group, RELAY)?.peakRssMb),
  ].filter((value): value is number => typeof value === 'number');
  if (rssValues.length > 0) {
    const max = Math.max(...rssValues);
    list.push({
      target: 'peak RSS <= 150 MB in every catch-up and latency row (default sink)',
      measured: `max ${max} MB`,
      met: max <= 150,
    });
  }
  return list;
}

function catchUpTargets(headline: CatchUpGroup): Target[] {
  const ours = catchUpOf(headline, RELAY);
  const min = ceiling(headline);
  const share = ratio(ours?.eventsPerSecond, min);
  const debezium = catchUpOf(headline, DEBEZIUM);
  const vsDebezium = ratio(ours?.eventsPerSecond, debezium?.eventsPerSecond);
  const cpu = ratio(ours?.cpuSecondsPerMillion, debezium?.cpuSecondsPerMillion);
  const polling = catchUpOf(headline, POLLING_CATCH_UP);
  const vsPolling = ratio(ours?.eventsPerSecond, polling?.eventsPerSecond);
  const rss = ratio(ours?.peakRssMb, debezium?.peakRssMb);
  return [
    {
      target: 'catch-up >= 2 x Debezium Server, 100-event tx, 300 B',
      measured: `${fmt(vsDebezium)} x (${fmt(ours?.eventsPerSecond)} vs ${fmt(debezium?.eventsPerSecond)} events/s)`,
      met: vsDebezium === null ? null : vsDebezium >= 2,
    },
    {
      target: 'catch-up >= 0.6 x min(decode, producer ceiling)',
      measured: `${fmt(share)} (${fmt(ours?.eventsPerSecond)} vs ${fmt(min)} events/s)`,
      met: share === null ? null : share >= 0.6,
    },
    {
      target: 'CPU per event <= 0.45 x Debezium Server’s',
      measured: `${fmt(cpu)} (${fmt(ours?.cpuSecondsPerMillion)} vs ${fmt(debezium?.cpuSecondsPerMillion)} CPU s / M events)`,
      met: cpu === null ? null : cpu <= 0.45,
    },
    {
      target: 'catch-up >= 5 x polling (1 s interval)',
      measured: `${fmt(vsPolling)} x (${fmt(polling?.eventsPerSecond)} events/s)`,
      met: vsPolling === null ? null : vsPolling >= 5,
    },
    {
      target: 'peak RSS <= 1/3 of Debezium Server',
      measured: `${fmt(rss)} (${fmt(ours?.peakRssMb, ' MB')} vs ${fmt(debezium?.peakRssMb, ' MB')})`,
      met: rss === null ? null : rss <= 1 / 3,
    },
  ];
}

function latencyTargets(group: LatencyGroup): Target[] {
  const relay = latencyOf(group, RELAY);
  if (!relay) return [];
  const p99 = consumerP99(relay);
  const pollP99 = consumerP99(latencyOf(group, POLLING_LATENCY));
  const list: Target[] = [
    {
      target: `p99 commit -> consumer below polling (100 ms) at ${group.rate}/s`,
      measured: `${fmt(p99, ' ms')} vs ${fmt(pollP99, ' ms')} (ratio ${fmt(ratio(p99, pollP99))})`,
      met: p99 === undefined || pollP99 === undefined ? null : p99 < pollP99,
    },
  ];
  if (group.rate === 10_000) {
    // The target holds only where the writer reached the rate: say what it reached.
    const reached = relay.achievedRate >= 0.95 * group.rate;
    list.push({
      target: 'p99 commit -> consumer <= 30 ms at 10,000 events/s',
      measured: `${fmt(p99, ' ms')} (the writer reached ${fmt(relay.achievedRate)} events/s)`,
      met: p99 === undefined ? null : p99 <= 30 && reached,
    });
  }
  if (group.rate === 1_000) {
    list.push({
      target: 'CPU <= 50 s per million events at 1,000 events/s',
      measured: `${fmt(relay.cpuSecondsPerMillion)} CPU s / M events`,
      met: relay.cpuSecondsPerMillion <= 50,
    });
  }
  return list;
}
