import { createServer } from 'node:net';
import { round } from './stats.js';

/** A cumulative histogram: upper bound (seconds) -> count, +Inf included. */
export type Histogram = Map<number, number>;

/** Sums the `<name>_bucket` series of a Prometheus text exposition over all label sets. */
export function parseHistogram(text: string, name: string): Histogram {
  const buckets: Histogram = new Map();
  const pattern = new RegExp(`^${name}_bucket\\{([^}]*)\\}\\s+(\\S+)`, 'gm');
  for (const match of text.matchAll(pattern)) {
    const le = /le="([^"]+)"/.exec(match[1] ?? '')?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(match[2]));
  }
  return buckets;
}

export async function scrape(url: string, name: string): Promise<Histogram> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return parseHistogram(await response.text(), name);
}

export interface HistogramSummary {
  readonly count: number;
  /** Linear interpolation inside the bucket, as Prometheus' histogram_quantile does; ms. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Share of events at or under 50 ms (a bucket bound, so exact). */
  readonly shareUnder50ms: number;
  /** The delta's buckets: upper bound in ms (null for +Inf) and the events in that bucket. */
  readonly buckets: Array<{ leMs: number | null; events: number }>;
}

/** Quantiles of the events observed between two scrapes. */
export function summarizeDelta(before: Histogram, after: Histogram): HistogramSummary | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const cumulative = bounds.map((bound) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0));
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return null;
  const quantile = (q: number): number => {
    const rank = q * total;
    for (let index = 0; index < bounds.length; index++) {
      const count = cumulative[index] ?? 0;
      if (count >= rank) {
        const upper = bounds[index] ?? 0;
        const lower = index === 0 ? 0 : (bounds[index - 1] ?? 0);
        const below = index === 0 ? 0 : (cumulative[index - 1] ?? 0);
        if (!Number.isFinite(upper)) return lower * 1000;
        return (lower + ((upper - lower) * (rank - below)) / Math.max(1, count - below)) * 1000;
      }
    }
    return Number.NaN;
  };
  const at50 = bounds.indexOf(0.05);
  const buckets = bounds.map((bound, index) => ({
    leMs: Number.isFinite(bound) ? round(bound * 1000, 3) : null,
    events: (cumulative[index] ?? 0) - (index === 0 ? 0 : (cumulative[index - 1] ?? 0)),
  }));
  return {
    count: total,
    p50: round(quantile(0.5)),
    p95: round(quantile(0.95)),
    p99: round(quantile(0.99)),
    shareUnder50ms: at50 < 0 ? Number.NaN : round((cumulative[at50] ?? 0) / total, 4),
    buckets,
  };
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `<name>_sum` and `<name>_count` summed over label sets. */
export function sumAndCount(text: string, name: string): { sum: number; count: number } {
  const total = (suffix: string) => {
    let value = 0;
    for (const match of text.matchAll(new RegExp(`^${name}_${suffix}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'gm'))) {
      value += Number(match[1]);
    }
    return value;
  };
  return { sum: total('sum'), count: total('count') };
}

/** A counter's value summed over its label sets (0 when no label set was counted yet). */
export function counterTotal(text: string, name: string): number {
  let value = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'gm'))) {
    value += Number(match[1]);
  }
  return value;
}
