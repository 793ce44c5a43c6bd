import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { partitionName, periodStart } from '../../src/outbox/partitions.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('outbox partitions', () => {
  it('aligns periods to the Unix epoch: a day starts at midnight UTC', () => {
    const at = Date.UTC(2026, 10, 26, 13, 45, 12);
    expect(periodStart(at, DAY)).toBe(Date.UTC(2026, 10, 26));
    expect(periodStart(at, HOUR)).toBe(Date.UTC(2026, 10, 26, 13));
  });

  it('names a partition after its table and the start of its period', () => {
    expect(partitionName('public.outbox', Date.UTC(2026, 10, 26), DAY)).toBe('outbox_p20261126');
    expect(partitionName('app.events', Date.UTC(2026, 10, 26, 13), HOUR)).toBe('events_p202611261300');
  });

  it('takes --partitioned only with --create-table', () => {
    expect(parseArgs(['init', '--create-table', '--partitioned']).partitioned).toBe(true);
    expect(() => parseArgs(['init', '--partitioned'])).toThrow(/--partitioned: goes with --create-table/);
  });
});
