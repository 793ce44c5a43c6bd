import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { type ComparisonReport, compareRecords, type RecordBytes } from '../../compat/record-diff.js';

/** How many differences the text report lists; --json lists all. */
const SHOWN_DIFFERENCES = 20;

/**
 * `outbox-relay compare <expected-topic> <actual-topic>`: reads both topics from the beginning
 * up to their ends at the start, pairs records by event id and compares partition, key, value
 * and headers byte for byte: the check of a migration profile against Debezium's records.
 */
export async function compareTopics(
  kafka: Kafka,
  expected: string,
  actual: string,
): Promise<ComparisonReport> {
  const [expectedRecords, actualRecords] = [await readTopic(kafka, expected), await readTopic(kafka, actual)];
  return compareRecords(expectedRecords, actualRecords);
}

/** Every record of `topic` up to the end offsets it had when called, with a throwaway consumer group. */
async function readTopic(kafka: Kafka, topic: string): Promise<RecordBytes[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `outbox-relay-compare-${randomBytes(6).toString('hex')}`;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const remaining = new Map(
      offsets
        .filter((partition) => BigInt(partition.high) > BigInt(partition.low))
        .map((partition) => [partition.partition, BigInt(partition.high)]),
    );
    const records: RecordBytes[] = [];
    if (remaining.size > 0) {
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          consumer
            .run({
              eachMessage: async ({ partition, message }) => {
                const end = remaining.get(partition);
                if (end === undefined || BigInt(message.offset) >= end) return;
                records.push({
                  topic,
                  partition,
                  key: message.key ?? null,
                  value: message.value ?? null,
                  headers: Object.entries(message.headers ?? {}).flatMap(([name, value]) =>
                    (Array.isArray(value) ? value : [value]).map((one): [string, Buffer | null] => [
                      name,
                      one === undefined || one === null ? null : Buffer.from(one),
                    ]),
                  ),
                });
                if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
                if (remaining.size === 0) resolve();
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
      }
    }
    return records;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

export function formatComparison(report: ComparisonReport, expected: string, actual: string): string {
  const shown = report.differences.slice(0, SHOWN_DIFFERENCES);
  const more = report.differences.length - shown.length;
  return [
    `expected  ${expected}: ${report.expectedRecords} records`,
    `actual    ${actual}: ${report.actualRecords} records`,
    `paired by event id: ${report.paired}, identical: ${report.identical}, differing: ${report.paired - report.identical}`,
    `only in ${expected}: ${report.onlyExpected}; only in ${actual}: ${report.onlyActual}; without an id header: ${report.withoutId}`,
    ...shown.map((line) => `  ${line}`),
    ...(more > 0 ? [`  … and ${more} more differences (--json lists all)`] : []),
  ].join('\n');
}

/** Exit status: 0 when events were paired and every pair is identical. */
export function comparisonPassed(report: ComparisonReport): boolean {
  return report.paired > 0 && report.identical === report.paired;
}
