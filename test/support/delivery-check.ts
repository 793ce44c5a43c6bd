import type { WrittenEvent } from './outbox.js';

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly headers: Record<string, string>;
}

export interface DeliveryReport {
  readonly written: number;
  readonly delivered: number;
  readonly missing: string[];
  readonly unexpected: string[];
  readonly duplicates: number;
  /** Aggregates whose events, repeats dropped, are not in commit order. */
  readonly outOfOrder: string[];
  /** Aggregates whose events landed on more than one partition. */
  readonly splitAggregates: string[];
}

/**
 * Compares what Kafka holds with what was committed, in commit order: every id present,
 * nothing extra, and per aggregate the first occurrences in partition order equal the
 * commit order.
 */
export function checkDelivery(
  written: readonly WrittenEvent[],
  records: readonly ConsumedRecord[],
): DeliveryReport {
  const sorted = [...records].sort(
    (a, b) =>
      a.topic.localeCompare(b.topic) ||
      a.partition - b.partition ||
      Number(BigInt(a.offset) - BigInt(b.offset)),
  );
  const expectedIds = new Set(written.map((event) => event.id));
  const seen = new Set<string>();
  const unexpected: string[] = [];
  let duplicates = 0;
  const firstOrder = new Map<string, string[]>();
  const partitions = new Map<string, Set<string>>();
  for (const record of sorted) {
    const id = record.headers.id ?? '';
    if (!expectedIds.has(id)) {
      unexpected.push(id);
      continue;
    }
    const aggregate = `${record.topic}/${record.key}`;
    const where = partitions.get(aggregate) ?? new Set();
    where.add(`${record.topic}:${record.partition}`);
    partitions.set(aggregate, where);
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    const order = firstOrder.get(record.key ?? '') ?? [];
    order.push(id);
    firstOrder.set(record.key ?? '', order);
  }
  const committedOrder = new Map<string, string[]>();
  for (const event of written) {
    const order = committedOrder.get(event.aggregateId) ?? [];
    order.push(event.id);
    committedOrder.set(event.aggregateId, order);
  }
  const outOfOrder = [...committedOrder].filter(([aggregate, ids]) => {
    const delivered = firstOrder.get(aggregate) ?? [];
    const deliveredSet = new Set(delivered);
    return ids.filter((id) => deliveredSet.has(id)).join() !== delivered.join();
  });
  return {
    written: written.length,
    delivered: seen.size,
    missing: written.filter((event) => !seen.has(event.id)).map((event) => event.id),
    unexpected,
    duplicates,
    outOfOrder: outOfOrder.map(([aggregate]) => aggregate),
    splitAggregates: [...partitions].filter(([, where]) => where.size > 1).map(([aggregate]) => aggregate),
  };
}

/**
 * An incremental `until` for consumeAll: true once every id has been read at least once.
 * (consumeAll calls it after each record; recounting all records each time would be quadratic.)
 */
export function allIdsSeen(ids: Iterable<string>): (received: readonly ConsumedRecord[]) => boolean {
  const missing = new Set(ids);
  let checked = 0;
  return (received) => {
    for (; checked < received.length; checked++) missing.delete(received[checked]?.headers.id ?? '');
    return missing.size === 0;
  };
}

/** "delivered/written" of some of the events, for a fault summary: which ones a fault cost. */
export function deliveredShare(
  events: readonly { id: string }[],
  records: readonly ConsumedRecord[],
): string {
  const ids = new Set(records.map((record) => record.headers.id));
  return `${events.filter((event) => ids.has(event.id)).length}/${events.length}`;
}
