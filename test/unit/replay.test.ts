import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { ProgressMeter, progressBar, progressLine } from '../../src/replay/progress.js';
import { RateLimit } from '../../src/replay/rate-limit.js';
import {
  type ReplaySelection,
  resolveSelection,
  selectionCondition,
  selectionKey,
} from '../../src/replay/selection.js';

const COLUMNS = {
  id: 'id',
  aggregateType: 'aggregate_type',
  aggregateId: 'aggregate_id',
  timestamp: 'created_at',
};
const NONE: ReplaySelection = {
  since: undefined,
  until: undefined,
  fromId: undefined,
  toId: undefined,
  aggregateTypes: [],
  aggregateIds: [],
  orderBy: undefined,
  all: false,
};

describe('replay selection', () => {
  it('turns each selector into a bound condition over its column', () => {
    const condition = selectionCondition(
      {
        ...NONE,
        since: '2026-11-01T00:00:00Z',
        until: '2026-11-02T00:00:00Z',
        fromId: '10',
        toId: '20',
        aggregateTypes: ['Order', 'Invoice'],
        aggregateIds: ['o-1'],
      },
      COLUMNS,
    );
    expect(condition.sql).toBe(
      '"created_at" >= $1::timestamptz AND "created_at" < $2::timestamptz AND "id" >= $3 AND "id" <= $4 AND ' +
        '"aggregate_type"::text = ANY($5::text[]) AND "aggregate_id"::text = ANY($6::text[])',
    );
    expect(condition.params).toEqual([
      '2026-11-01T00:00:00Z',
      '2026-11-02T00:00:00Z',
      '10',
      '20',
      ['Order', 'Invoice'],
      ['o-1'],
    ]);
    expect(selectionCondition({ ...NONE, all: true }, COLUMNS)).toEqual({ sql: 'true', params: [] });
  });

  it('refuses a time range on a layout without a timestamp column', () => {
    expect(() => selectionCondition({ ...NONE, since: '1d' }, { ...COLUMNS, timestamp: undefined })).toThrow(
      /OUTBOX_COLUMN_TIMESTAMP/,
    );
  });

  it('resolves a relative bound once, against the time the replay starts', () => {
    const now = Date.UTC(2026, 10, 26, 12);
    const resolved = resolveSelection({ ...NONE, since: '2h', until: '2026-11-26T11:30:00Z' }, now);
    expect(resolved.since).toBe('2026-11-26T10:00:00.000Z');
    expect(resolved.until).toBe('2026-11-26T11:30:00Z');
  });

  it('keys a replay by its command line: the order of repeated options does not matter, the table does', () => {
    const one = selectionKey('public.outbox', { ...NONE, aggregateTypes: ['B', 'A'], since: '7d' });
    expect(selectionKey('public.outbox', { ...NONE, aggregateTypes: ['A', 'B'], since: '7d' })).toBe(one);
    expect(selectionKey('app.outbox', { ...NONE, aggregateTypes: ['A', 'B'], since: '7d' })).not.toBe(one);
    expect(selectionKey('public.outbox', { ...NONE, aggregateTypes: ['A'], since: '7d' })).not.toBe(one);
  });
});

describe('replay options', () => {
  it('reads values, repeated selectors and flags', () => {
    const { replay } = parseArgs([
      'replay',
      '--since=2026-11-01',
      '--aggregate-type',
      'Order',
      '--aggregate-type',
      'Invoice',
      '--rate',
      '500',
      '--dry-run',
    ]);
    expect(replay.selection).toMatchObject({ since: '2026-11-01', aggregateTypes: ['Order', 'Invoice'] });
    expect(replay).toMatchObject({ rate: 500, dryRun: true, restart: false });
  });

  it('names what is wrong with an option', () => {
    expect(() => parseArgs(['replay', '--rate', '0'])).toThrow(/--rate: expected events per second above 0/);
    expect(() => parseArgs(['replay', '--since'])).toThrow(/--since: needs a value/);
    expect(() => parseArgs(['replay', '--since', 'a', '--since', 'b'])).toThrow(/--since: is given twice/);
    expect(() => parseArgs(['run', '--dry-run'])).toThrow(/--dry-run: is an option of `outbox-relay replay`/);
  });
});

describe('replay pacing and progress', () => {
  it('paces events to the rate, with a tenth of a second of slack and no burst after a stall', () => {
    let now = 0;
    const limit = new RateLimit(1000, () => now);
    let waited = 0;
    for (let event = 0; event < 100; event++) waited += limit.take(1);
    expect(waited).toBe(0); // 100 events in a tenth of a second: the slack
    expect(limit.take(1)).toBeCloseTo(1, 5);
    now = 10_000; // a stall of 10 s earns no 10,000-event burst
    let burst = 0;
    while (limit.take(1) === 0) burst++;
    expect(burst).toBeLessThanOrEqual(200);
  });

  it('measures the rate over the last seconds and estimates the time left', () => {
    let now = 0;
    const meter = new ProgressMeter(10_000, 1_000, () => now);
    now = 2_000;
    meter.acknowledged(2_000);
    const snapshot = meter.snapshot();
    expect(snapshot).toMatchObject({ sent: 3_000, total: 10_000, rate: 1_000, etaSeconds: 7 });
    expect(progressBar(snapshot)).toBe(
      '[███████░░░░░░░░░░░░░░░░░] 30%  3,000/10,000 events  1,000/s  ETA 0:07',
    );
    expect(JSON.parse(progressLine('progress', snapshot))).toEqual({
      replay: 'progress',
      sent: 3_000,
      total: 10_000,
      rate: 1_000,
      etaSeconds: 7,
      elapsedSeconds: 2,
    });
  });
});
