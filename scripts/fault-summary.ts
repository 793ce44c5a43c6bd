/** Prints the fault-injection suite's summary table from .stack/fault-summary.jsonl, if any. */
import { existsSync, readFileSync } from 'node:fs';
import { FAULT_SUMMARY_FILE } from '../test/support/fault-summary.js';

if (existsSync(FAULT_SUMMARY_FILE)) {
  const rows = readFileSync(FAULT_SUMMARY_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, string | number>);
  const columns = [
    'fault',
    'sink',
    'delivery',
    'written',
    'delivered',
    'duplicates',
    'lost',
    'outOfOrder',
    'takeoverSeconds',
    'peakRssMiB',
  ];
  console.log(`\n| ${columns.join(' | ')} |\n|${columns.map(() => ' --- ').join('|')}|`);
  for (const row of rows) console.log(`| ${columns.map((column) => row[column] ?? '').join(' | ')} |`);
}
