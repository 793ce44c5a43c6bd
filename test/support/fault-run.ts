import { ContinuousWriter } from './continuous-writer.js';
import { allIdsSeen, checkDelivery, type DeliveryReport } from './delivery-check.js';
import { consumeAll } from './kafka.js';
import { TEST_DELIVERY, type WrittenEvent } from './outbox.js';
import type { OutboxFixture } from './relay-harness.js';

/** Another writer of the run's aggregate type, on aggregate ids of its own. */
export interface EventWriter {
  stop(): Promise<WrittenEvent[]>;
}

/** A continuous writer on the fixture's outbox (and any others), and the independent check at the end. */
export class FaultRun {
  readonly writer: ContinuousWriter;

  constructor(
    private readonly fixture: OutboxFixture,
    private readonly aggregateType = 'fault',
    private readonly others: readonly EventWriter[] = [],
  ) {
    this.writer = new ContinuousWriter(fixture.databaseUrl, { aggregateType, aggregates: 500, pauseMs: 5 });
  }

  /** Stops writing, waits until Kafka holds every committed id, and compares. */
  async finish(timeoutMs = 180_000): Promise<{ written: WrittenEvent[]; report: DeliveryReport }> {
    const written = [
      ...(await this.writer.stop()),
      ...(await Promise.all(this.others.map((other) => other.stop()))).flat(),
    ];
    const records = await consumeAll(this.fixture.kafkaBrokers, [this.fixture.topic(this.aggregateType)], {
      until: allIdsSeen(written.map((event) => event.id)),
      timeoutMs,
      toEnd: true,
    });
    return { written, report: checkDelivery(written, records) };
  }
}

/** What a fault run must show: nothing lost or out of order, and under exactly-once no duplicate either. */
export function expectNoLoss(report: DeliveryReport): string[] {
  const problems: string[] = [];
  if (TEST_DELIVERY === 'exactly-once' && report.duplicates > 0)
    problems.push(`${report.duplicates} duplicates`);
  if (report.missing.length > 0) problems.push(`${report.missing.length} lost`);
  if (report.outOfOrder.length > 0) problems.push(`${report.outOfOrder.length} aggregates out of order`);
  if (report.splitAggregates.length > 0) problems.push(`${report.splitAggregates.length} aggregates split`);
  if (report.unexpected.length > 0) problems.push(`${report.unexpected.length} unexpected`);
  return problems;
}
