import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeliveryReport } from './delivery-check.js';
import { KAFKA_CLIENT, TEST_DELIVERY } from './outbox.js';

/** One line per fault run, read back by scripts/test.sh to print the suite's summary table. */
export const FAULT_SUMMARY_FILE = fileURLToPath(new URL('../../.stack/fault-summary.jsonl', import.meta.url));

export function recordFault(
  fault: string,
  report: DeliveryReport,
  extra: Record<string, number | string> = {},
): void {
  mkdirSync(dirname(FAULT_SUMMARY_FILE), { recursive: true });
  const row = {
    fault,
    sink: KAFKA_CLIENT,
    delivery: TEST_DELIVERY,
    written: report.written,
    delivered: report.delivered,
    duplicates: report.duplicates,
    lost: report.missing.length,
    outOfOrder: report.outOfOrder.length,
    ...extra,
  };
  appendFileSync(FAULT_SUMMARY_FILE, `${JSON.stringify(row)}\n`);
  console.info(`fault summary: ${JSON.stringify(row)}`);
}
