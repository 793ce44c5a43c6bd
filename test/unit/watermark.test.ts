import { describe, expect, it } from 'vitest';
import { Watermark } from '../../src/checkpoint/watermark.js';
import { lsn } from '../../src/replication/lsn.js';

describe('Watermark', () => {
  it('starts at the given position and is idle', () => {
    const watermark = new Watermark(lsn(100n));
    expect(watermark.safeLsn).toBe(100n);
    expect(watermark.isIdle).toBe(true);
  });

  it('knows the commit time of the oldest pending transaction and of the last safe one', () => {
    const watermark = new Watermark(lsn(0n));
    expect(watermark.oldestPendingCommitTimeMs).toBeUndefined();
    const first = watermark.begin(1_000);
    const second = watermark.begin(2_000);
    watermark.addEvent(first);
    watermark.commit(first, lsn(100n));
    watermark.commit(second, lsn(200n));
    expect(watermark.oldestPendingCommitTimeMs).toBe(1_000);
    expect(watermark.safeCommitTimeMs).toBeUndefined();
    watermark.acknowledge(first);
    // Both safe now: nothing pending, and the safe LSN is the second's.
    expect(watermark.oldestPendingCommitTimeMs).toBeUndefined();
    expect(watermark.safeCommitTimeMs).toBe(2_000);
  });

  it('advances to a committed transaction once all its events are acknowledged', () => {
    const watermark = new Watermark(lsn(0n));
    const tx = watermark.begin();
    watermark.addEvent(tx);
    watermark.addEvent(tx);
    watermark.commit(tx, lsn(200n));
    expect(watermark.safeLsn).toBe(0n);
    watermark.acknowledge(tx);
    expect(watermark.safeLsn).toBe(0n);
    watermark.acknowledge(tx);
    expect(watermark.safeLsn).toBe(200n);
    expect(watermark.isIdle).toBe(true);
  });

  it('never passes an uncommitted transaction, even when all its events are acknowledged', () => {
    const watermark = new Watermark(lsn(0n));
    const tx = watermark.begin();
    watermark.addEvent(tx);
    watermark.acknowledge(tx);
    expect(watermark.safeLsn).toBe(0n);
    expect(watermark.isIdle).toBe(false);
    watermark.commit(tx, lsn(50n));
    expect(watermark.safeLsn).toBe(50n);
  });

  it('holds at the first transaction with an unacknowledged event, whatever comes after', () => {
    const watermark = new Watermark(lsn(0n));
    const first = watermark.begin();
    watermark.addEvent(first);
    watermark.commit(first, lsn(10n));
    const second = watermark.begin();
    watermark.addEvent(second);
    watermark.commit(second, lsn(20n));
    const third = watermark.begin();
    watermark.commit(third, lsn(30n));

    watermark.acknowledge(second);
    expect(watermark.safeLsn).toBe(0n);
    watermark.acknowledge(first);
    expect(watermark.safeLsn).toBe(30n);
  });

  it('moves past transactions with no outbox rows (sealed with zero events)', () => {
    const watermark = new Watermark(lsn(5n));
    const empty = watermark.begin();
    watermark.commit(empty, lsn(40n));
    expect(watermark.safeLsn).toBe(40n);
  });

  it('confirms the idle server position only when nothing is pending', () => {
    const watermark = new Watermark(lsn(0n));
    watermark.serverIdleAt(lsn(1000n));
    expect(watermark.safeLsn).toBe(1000n);

    const tx = watermark.begin();
    watermark.addEvent(tx);
    watermark.commit(tx, lsn(1100n));
    watermark.serverIdleAt(lsn(5000n));
    expect(watermark.safeLsn).toBe(1000n);
    watermark.acknowledge(tx);
    expect(watermark.safeLsn).toBe(1100n);
    watermark.serverIdleAt(lsn(5000n));
    expect(watermark.safeLsn).toBe(5000n);
  });

  it('does not confirm the idle position while a transaction is open', () => {
    const watermark = new Watermark(lsn(0n));
    watermark.begin();
    watermark.serverIdleAt(lsn(900n));
    expect(watermark.safeLsn).toBe(0n);
  });

  it('never moves backwards', () => {
    const watermark = new Watermark(lsn(500n));
    const tx = watermark.begin();
    watermark.commit(tx, lsn(300n));
    expect(watermark.safeLsn).toBe(500n);
    watermark.serverIdleAt(lsn(100n));
    expect(watermark.safeLsn).toBe(500n);
  });

  it('rejects acknowledgements it did not expect and double commits', () => {
    const watermark = new Watermark(lsn(0n));
    const tx = watermark.begin();
    expect(() => watermark.acknowledge(tx)).toThrow(/without a pending event/);
    watermark.commit(tx, lsn(1n));
    expect(() => watermark.commit(tx, lsn(2n))).toThrow(/twice/);
    expect(() => watermark.addEvent(tx)).toThrow(/committed/);
  });

  it('holds committed transactions without events behind a pending one in one entry, however many', () => {
    const watermark = new Watermark(lsn(0n));
    const pending = watermark.begin(1);
    watermark.addEvent(pending);
    watermark.commit(pending, lsn(10n));
    for (let n = 1; n <= 10_000; n++) watermark.commit(watermark.begin(n), lsn(BigInt(10 + n)));
    expect(watermark.length).toBe(2);
    watermark.acknowledge(pending);
    expect(watermark.safeLsn).toBe(lsn(10_010n));
    expect(watermark.safeCommitTimeMs).toBe(10_000);
    expect(watermark.isIdle).toBe(true);
  });

  it('never merges a transaction with events, nor past one', () => {
    const safe: number[] = [];
    const watermark = new Watermark<number>(lsn(0n), ({ owner }) => safe.push(owner));
    const first = watermark.begin(0, 1);
    watermark.addEvent(first);
    watermark.commit(first, lsn(10n));
    watermark.commit(watermark.begin(0, 2), lsn(20n));
    const third = watermark.begin(0, 3);
    watermark.addEvent(third);
    watermark.commit(third, lsn(30n));
    watermark.commit(watermark.begin(0, 4), lsn(40n));
    expect(watermark.length).toBe(4);
    watermark.acknowledge(first);
    expect(watermark.safeLsn).toBe(lsn(20n));
    watermark.acknowledge(third);
    expect(watermark.safeLsn).toBe(lsn(40n));
    // Told of the transactions with events only, in commit order.
    expect(safe).toEqual([1, 3]);
  });

  it('matches a reference model over random interleavings', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let run = 0; run < 200; run++) {
      const watermark = new Watermark(lsn(0n));
      const transactions: {
        handle: ReturnType<Watermark['begin']>;
        events: number;
        acked: number;
        end: bigint;
      }[] = [];
      for (let i = 0; i < 20; i++) {
        const handle = watermark.begin();
        const events = Math.floor(random() * 4);
        for (let e = 0; e < events; e++) watermark.addEvent(handle);
        const end = BigInt((i + 1) * 10);
        watermark.commit(handle, lsn(end));
        transactions.push({ handle, events, acked: 0, end });
      }
      const pending = transactions.flatMap((tx) => Array.from({ length: tx.events }, () => tx));
      while (pending.length > 0) {
        const [tx] = pending.splice(Math.floor(random() * pending.length), 1);
        if (!tx) break;
        watermark.acknowledge(tx.handle);
        tx.acked++;
        let expected = 0n;
        for (const candidate of transactions) {
          if (candidate.acked < candidate.events) break;
          expected = candidate.end;
        }
        expect(watermark.safeLsn).toBe(expected);
      }
      expect(watermark.safeLsn).toBe(200n);
    }
  });
});
