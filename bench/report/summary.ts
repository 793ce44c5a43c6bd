import type { LatencyResult } from '../systems/latency.js';
import type { CatchUpResult } from '../systems/measure.js';
import {
  type AvroVsJson,
  type BenchResults,
  type CatchUpGroup,
  failed,
  type LatencyGroup,
} from './results.js';

export const RELAY = 'outbox-relay';
export const POLLING_CATCH_UP = 'polling 1000 ms';
export const POLLING_LATENCY = 'polling 100 ms';
export const DEBEZIUM = 'Debezium Server';
/** The relay with OUTBOX_VALUE_ENCODING=avro (bench/systems/avro.ts). */
export const AVRO = 'outbox-relay avro';

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
 * The Avro row against the JSON row of the same group (same WAL, back to back): events/s and
 * CPU s per million events of each, and avro / JSON of both; null when either did not run.
 */
export function avroVsJson(group: CatchUpGroup): AvroVsJson | null {
  const avro = catchUpOf(group, AVRO);
  const json = catchUpOf(group, RELAY);
  if (!avro || !json) return null;
  return {
    eventsPerSecond: ratio(avro.eventsPerSecond, json.eventsPerSecond),
    cpuSecondsPerMillion: ratio(avro.cpuSecondsPerMillion, json.cpuSecondsPerMillion),
    avro: { eventsPerSecond: avro.eventsPerSecond, cpuSecondsPerMillion: avro.cpuSecondsPerMillion },
    json: { eventsPerSecond: json.eventsPerSecond, cpuSecondsPerMillion: json.cpuSecondsPerMillion },
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

/** The README's targets, judged on the headline workload and the latency runs. */
export function targets(results: BenchResults): Target[] {
  const list: Target[] = [];
  const headline = results.catchUp.find((group) => group.headline);
  const ours = headline ? catchUpOf(headline, RELAY) : undefined;
  if (headline) {
    const min = ceiling(headline);
    const share = ratio(ours?.eventsPerSecond, min);
    list.push({
      target: 'catch-up >= 0.5 x min(decode, producer ceiling), 100-event tx, 300 B',
      measured: `${fmt(share)} (${fmt(ours?.eventsPerSecond)} vs ${fmt(min)} events/s)`,
      met: share === null ? null : share >= 0.5,
    });
    const polling = catchUpOf(headline, POLLING_CATCH_UP);
    const vsPolling = ratio(ours?.eventsPerSecond, polling?.eventsPerSecond);
    list.push({
      target: 'catch-up >= 5 x polling (1 s interval)',
      measured: `${fmt(vsPolling)} x (${fmt(polling?.eventsPerSecond)} events/s)`,
      met: vsPolling === null ? null : vsPolling >= 5,
    });
    const debezium = catchUpOf(headline, DEBEZIUM);
    const vsDebezium = ratio(ours?.eventsPerSecond, debezium?.eventsPerSecond);
    list.push({
      target: 'catch-up >= Debezium Server',
      measured: `${fmt(vsDebezium)} x (${fmt(debezium?.eventsPerSecond)} events/s)`,
      met: vsDebezium === null ? null : vsDebezium >= 1,
    });
    const rss = ratio(ours?.peakRssMb, debezium?.peakRssMb);
    list.push({
      target: 'peak RSS <= 1/3 of Debezium Server',
      measured: `${fmt(rss)} (${fmt(ours?.peakRssMb, ' MB')} vs ${fmt(debezium?.peakRssMb, ' MB')})`,
      met: rss === null ? null : rss <= 1 / 3,
    });
  }
  for (const group of results.latency) {
    const relay = latencyOf(group, RELAY);
    const polling = latencyOf(group, POLLING_LATENCY);
    if (!relay) continue;
    const p99 = consumerP99(relay);
    const pollP99 = consumerP99(polling);
    list.push({
      target: `p99 commit -> consumer below polling (100 ms) at ${group.rate}/s`,
      measured: `${fmt(p99, ' ms')} vs ${fmt(pollP99, ' ms')} (ratio ${fmt(ratio(p99, pollP99))})`,
      met: p99 === undefined || pollP99 === undefined ? null : p99 < pollP99,
    });
    if (group.rate === 5000) {
      const share = relay.ackHistogram?.shareUnder50ms;
      list.push({
        target: 'p99 end-to-end < 50 ms at 5,000 events/s',
        measured:
          `commit -> ack: ${share === undefined ? 'n/a' : `${Math.round(share * 10000) / 100} %`} of events <= 50 ms (/metrics); ` +
          `commit -> consumer p99 ${fmt(p99, ' ms')}`,
        met: share === undefined ? (p99 === undefined ? null : p99 < 50) : share >= 0.99 && (p99 ?? 0) < 50,
      });
    }
  }
  const rssValues = [
    ...results.catchUp.map((group) => catchUpOf(group, RELAY)?.peakRssMb),
    ...results.latency.map((group) => latencyOf(group, RELAY)?.peakRssMb),
  ].filter((value): value is number => typeof value === 'number');
  if (rssValues.length > 0) {
    const max = Math.max(...rssValues);
    list.push({ target: 'relay peak RSS < 150 MB (every run)', measured: `max ${max} MB`, met: max < 150 });
  }
  return list;
}
