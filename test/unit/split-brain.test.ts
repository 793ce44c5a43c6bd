import { describe, expect, it } from 'vitest';
import { parseLsn } from '../../src/replication/lsn.js';
import { choosePrimary, describeStale, type WritableHost } from '../../src/replication/split-brain.js';
import { parseTimelineHistory } from '../../src/replication/timeline-history.js';

const SYSTEM = '7715792226182451750';

/** A writable host on `timeline`, at `position`, whose history file reads `history`. */
function host(
  name: string,
  timeline: number,
  position: string,
  history = '',
  systemId = SYSTEM,
): WritableHost {
  return {
    host: name,
    timeline: { systemId, timeline, position: parseLsn(position), history: parseTimelineHistory(history) },
  };
}

describe('timeline history files', () => {
  it('reads the parent timelines and fork points of a file PostgreSQL wrote, skipping comments and blank lines', () => {
    // 00000003.history after two promotions, as TIMELINE_HISTORY 3 returns it.
    const content =
      '1\t0/1960888\tno recovery target specified\n\n# a comment\n2\t0/3000000\tbefore 2026-12-05\n';
    expect(parseTimelineHistory(content)).toEqual([
      { timeline: 1, forkLsn: parseLsn('0/1960888') },
      { timeline: 2, forkLsn: parseLsn('0/3000000') },
    ]);
  });

  it('refuses a line that is not one', () => {
    expect(() => parseTimelineHistory('one\t0/1\treason\n')).toThrow('not a timeline history line');
  });
});

describe('which of several writable hosts is the primary', () => {
  const oldPrimary = host('old:5432', 1, '0/1A00000');
  const promoted = host('new:5432', 2, '0/1970000', '1\t0/1960888\tno recovery target specified\n');

  it('the promoted one: its history contains the old primary timeline, whichever host is listed first', () => {
    for (const hosts of [
      [oldPrimary, promoted],
      [promoted, oldPrimary],
    ]) {
      const choice = choosePrimary(hosts);
      expect(choice).toEqual({
        primary: promoted,
        stale: [
          {
            host: 'old:5432',
            timeline: 1,
            primaryTimeline: 2,
            forkLsn: parseLsn('0/1960888'),
            bytesPastFork: 0x1a00000 - 0x1960888,
          },
        ],
      });
    }
  });

  it('names the stale host, what it wrote past the fork, and the fix', () => {
    const choice = choosePrimary([oldPrimary, promoted]);
    if (!('primary' in choice)) throw new Error('undecided');
    const [stale] = choice.stale;
    if (!stale) throw new Error('no stale host');
    expect(describeStale('new:5432', stale)).toBe(
      "split brain: old:5432 is writable but is not the primary: new:5432's timeline 2 forked from its timeline 1 at 0/1960888; " +
        'old:5432 wrote 653176 bytes of WAL past that point, which new:5432 does not have (events committed there after the promotion are not on the primary). ' +
        'Streaming from new:5432 only; shut down or fence old:5432, and rebuild it as a standby of new:5432 (pg_rewind) before it comes back',
    );
    const idle = choosePrimary([host('old:5432', 1, '0/1960888'), promoted]);
    if (!('primary' in idle) || !idle.stale[0]) throw new Error('undecided');
    expect(describeStale('new:5432', idle.stale[0])).not.toContain('past that point');
  });

  it('through several promotions: the newest of three, when each history contains the older ones', () => {
    const third = host('third:5432', 3, '0/3100000', '1\t0/1960888\tx\n2\t0/3000000\tx\n');
    const choice = choosePrimary([oldPrimary, third, promoted]);
    expect('primary' in choice && choice.primary).toBe(third);
  });

  it('undecided on the same timeline: two servers promoted from one history, or a copied data directory', () => {
    const twin = host('twin:5432', 2, '0/1980000', '1\t0/1960888\tno recovery target specified\n');
    expect(choosePrimary([promoted, twin])).toEqual({
      undecided: expect.stringContaining(
        "no one's history contains the others' (new:5432 on timeline 2, twin:5432 on timeline 2)",
      ),
    });
  });

  it('undecided when the newer timeline forked from another history that only shares the numbers', () => {
    // Timeline 3 came from timeline 1 at another point than timeline 2 did: 2 is not its ancestor.
    const sibling = host('sibling:5432', 3, '0/3100000', '1\t0/1950000\tx\n');
    expect('undecided' in choosePrimary([promoted, sibling])).toBe(true);
    // Timeline 3 lists timeline 2, but with a parent of 2 that 2 does not have.
    const rewritten = host('rewritten:5432', 3, '0/3100000', '1\t0/1950000\tx\n2\t0/3000000\tx\n');
    expect('undecided' in choosePrimary([promoted, rewritten])).toBe(true);
  });

  it('undecided for different clusters, and for a host whose timeline could not be read', () => {
    const other = host('other:5432', 2, '0/1970000', '1\t0/1960888\tx\n', '7715792226182451999');
    expect(choosePrimary([oldPrimary, other])).toEqual({
      undecided: `they are different database clusters (old:5432 is system ${SYSTEM}, other:5432 is system 7715792226182451999)`,
    });
    const unreadable = {
      host: 'new:5432',
      timeline: { unreadable: 'must be superuser or replication role' },
    };
    expect(choosePrimary([oldPrimary, unreadable])).toEqual({
      undecided: 'cannot read the timeline of new:5432: must be superuser or replication role',
    });
  });
});
