import { describe, expect, it } from 'vitest';
import {
  ALL_EVENTS,
  type Divergence,
  HistoryCheck,
  HistoryDivergedError,
} from '../../src/checkpoint/history-check.js';
import type { PublishedTransaction } from '../../src/checkpoint/published-history.js';
import { lsn } from '../../src/replication/lsn.js';

function published(commitLsn: number, events = 1, xid = commitLsn): PublishedTransaction {
  return { commitLsn: lsn(BigInt(commitLsn)), xid, commitTimeMicros: 5, events };
}

function identity(commitLsn: number, xid = commitLsn) {
  return { commitLsn: lsn(BigInt(commitLsn)), xid, commitTimeMicros: 5 };
}

function check(remembered: PublishedTransaction[], resumesAt = 0, serverEnd = 1_000) {
  const seen = { proven: 0, diverged: [] as Divergence[] };
  const history = new HistoryCheck(
    remembered,
    { resumesAt: lsn(BigInt(resumesAt)), serverEnd: lsn(BigInt(serverEnd)) },
    { proven: () => seen.proven++, diverged: (divergence) => seen.diverged.push(divergence) },
  );
  return { history, seen };
}

describe('HistoryCheck', () => {
  it('leaves out everything up to the newest remembered transaction and holds confirms until the stream shows it', () => {
    const { history, seen } = check([published(100, 2), published(200, 3)]);
    expect(history.holding).toBe(true);
    expect(history.begin(identity(50))).toBe(ALL_EVENTS);
    history.commit(4);
    expect(history.begin(identity(100))).toBe(2);
    history.commit(2);
    expect(history.holding).toBe(true);
    expect(history.begin(identity(200))).toBe(3);
    expect(history.holding).toBe(false);
    expect(seen.proven).toBe(1);
    expect(history.begin(identity(300))).toBe(0);
    expect(seen.diverged).toEqual([]);
  });

  it('needs no proof for what the slot has confirmed already: the server does not send it again', () => {
    const { history, seen } = check([published(100), published(200)], 201);
    expect(history.holding).toBe(false);
    expect(history.begin(identity(300))).toBe(0);
    expect(seen).toEqual({ proven: 0, diverged: [] });
  });

  it('diverges at another transaction where a remembered one committed', () => {
    const { history, seen } = check([published(100), published(200)]);
    history.begin(identity(100));
    expect(() => history.begin(identity(200, 7))).toThrow(HistoryDivergedError);
    expect(seen.diverged[0]?.lastCommon?.commitLsn).toBe(lsn(100n));
    expect(seen.diverged[0]?.missing.map(({ xid }) => xid)).toEqual([200]);
    expect(history.holding).toBe(false);
    expect(history.begin(identity(300))).toBe(0);
  });

  it('diverges at an unremembered transaction with events among remembered ones, not at one without', () => {
    const { history } = check([published(100), published(300)]);
    history.begin(identity(100));
    history.begin(identity(150));
    history.commit(0);
    history.begin(identity(200));
    expect(() => history.commit(1)).toThrow(
      /xid 200 committed at 0\/C8 with 1 events, among transactions published without it/,
    );
  });

  it('diverges when a keepalive shows the stream passed a remembered transaction, not when it stops at it', () => {
    const { history } = check([published(100)]);
    history.keepalive(lsn(100n));
    expect(history.holding).toBe(true);
    expect(() => history.keepalive(lsn(101n))).toThrow(/passed that position without it/);
  });

  it('does not hold or leave out anything when what is remembered lies beyond the server WAL, and reports at the first evidence', () => {
    const { history, seen } = check([published(100), published(900)], 0, 500);
    expect(history.holding).toBe(false);
    expect(history.diverged).toBe(true);
    expect(history.begin(identity(100))).toBe(0);
    history.commit(1);
    expect(seen.diverged).toEqual([]);
    // Another transaction with events where the history went on to 900: the first evidence.
    expect(history.begin(identity(400))).toBe(0);
    history.commit(3);
    expect(seen.diverged).toHaveLength(1);
    expect(seen.diverged[0]?.missing.map(({ xid }) => xid)).toEqual([900]);
    expect(seen.diverged[0]?.lastCommon?.xid).toBe(100);
    history.keepalive(lsn(600n));
    expect(seen.diverged).toHaveLength(1);
  });

  it('reports, when nothing else shows it, once the stream reaches the end of the server WAL', () => {
    const { history, seen } = check([published(900)], 0, 500);
    history.keepalive(lsn(499n));
    expect(seen.diverged).toEqual([]);
    history.keepalive(lsn(500n));
    expect(seen.diverged.map(({ seenAt }) => seenAt)).toEqual([lsn(500n)]);
  });
});
