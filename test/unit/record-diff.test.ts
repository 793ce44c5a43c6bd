import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { compareRecords, eventIdOf, type RecordBytes } from '../../src/compat/record-diff.js';

const ID = '0b3d3c52-7a4e-4a63-9f3e-1d2c3b4a5f60';

function record(id: string | null, overrides: Partial<RecordBytes> = {}): RecordBytes {
  return {
    topic: 't',
    partition: 1,
    key: Buffer.from('k'),
    value: Buffer.from('{"a":1}'),
    headers: id === null ? [] : [['id', Buffer.from(id)]],
    ...overrides,
  };
}

describe('comparing two systems’ records', () => {
  it('finds the event id in any header encoding', () => {
    expect(eventIdOf(record(ID))).toBe(ID);
    expect(eventIdOf(record(JSON.stringify(ID)))).toBe(ID);
    expect(eventIdOf(record(`{"schema":{"type":"string","optional":false},"payload":"${ID}"}`))).toBe(ID);
    expect(eventIdOf(record(null))).toBeUndefined();
  });

  it('pairs by event id and reports each differing part', () => {
    const expected = [record('a'), record('b'), record('c'), record(null)];
    const actual = [
      record('a'),
      record('b', {
        partition: 2,
        value: Buffer.from([0xff]),
        headers: [
          ['id', Buffer.from('b')],
          ['x', null],
        ],
      }),
      record('d'),
    ];
    const report = compareRecords(expected, actual);
    expect(report).toMatchObject({ paired: 2, identical: 1, onlyExpected: 1, onlyActual: 1, withoutId: 1 });
    expect(report.differences).toEqual([
      'event b partition: expected 1, got 2',
      'event b value: expected "{\\"a\\":1}", got 0xff',
      'event b headers: expected id="b", got id="b" x=null',
    ]);
  });

  it('takes `compare` with exactly two topics', () => {
    expect(parseArgs(['compare', 'outbox.event.order', 'relay.order', '--json'])).toMatchObject({
      command: 'compare',
      topics: ['outbox.event.order', 'relay.order'],
      json: true,
    });
    expect(() => parseArgs(['compare', 'one'])).toThrow(/needs two topics/);
    expect(() => parseArgs(['compare', 'a', 'b', 'c'])).toThrow(/unknown command/);
  });
});
