import { describe, expect, it } from 'vitest';
import {
  eventsOf,
  PublishedHistory,
  type PublishedTransaction,
} from '../../src/checkpoint/published-history.js';
import { lsn } from '../../src/replication/lsn.js';

function published(commitLsn: number, events = 1, xid = commitLsn): PublishedTransaction {
  return { commitLsn: lsn(BigInt(commitLsn)), xid, commitTimeMicros: 1, events };
}

describe('PublishedHistory', () => {
  it('keeps transactions in commit order, a later record of the same one replacing it', () => {
    const history = new PublishedHistory();
    history.record(published(10, 1));
    history.record(published(20, 2));
    history.record(published(20, 5));
    expect(history.snapshot()).toEqual([published(10, 1), published(20, 5)]);
    expect(eventsOf(history.snapshot())).toBe(6);
  });

  it('keeps the newest transactions up to its capacity', () => {
    const history = new PublishedHistory(3);
    for (let n = 1; n <= 10; n++) history.record(published(n * 10));
    expect(history.snapshot().map(({ commitLsn }) => Number(commitLsn))).toEqual([80, 90, 100]);
  });

  it('forgets everything when another transaction comes at or before the newest: another history', () => {
    const history = new PublishedHistory();
    history.record(published(10));
    history.record(published(20));
    history.record(published(20, 1, 99));
    expect(history.snapshot()).toEqual([published(20, 1, 99)]);
    history.clear();
    expect(history.snapshot()).toEqual([]);
  });
});
