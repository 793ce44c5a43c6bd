import { describe, expect, it } from 'vitest';
import { Confirmer } from '../../src/checkpoint/confirmer.js';
import { type Lsn, lsn } from '../../src/replication/lsn.js';
import type { StandbyStatus } from '../../src/replication/protocol.js';

function setup(start = 100n) {
  const sent: StandbyStatus[] = [];
  const confirmed: Lsn[] = [];
  const positions = { safe: lsn(start), received: lsn(start) };
  const confirmer = new Confirmer(
    (status) => sent.push(status),
    () => positions,
    1000,
    (l) => confirmed.push(l),
    lsn(start),
  );
  return { sent, confirmed, positions, confirmer };
}

describe('Confirmer', () => {
  it('sends the safe LSN as flush position and the received one as write position', () => {
    const { sent, confirmed, positions, confirmer } = setup();
    positions.safe = lsn(150n);
    positions.received = lsn(400n);
    confirmer.tick(1_000);
    expect(sent).toEqual([{ written: 400n, flushed: 150n, nowMs: 1_000 }]);
    expect(confirmed).toEqual([150n]);
  });

  it('stays quiet while nothing changed, but speaks before the server would time out', () => {
    const { sent, confirmer } = setup();
    confirmer.sendNow(0);
    confirmer.tick(5_000);
    expect(sent).toHaveLength(1);
    confirmer.tick(10_000);
    expect(sent).toHaveLength(2);
  });

  it('never sends a flush position lower than one already sent', () => {
    const { sent, positions, confirmer } = setup(500n);
    positions.safe = lsn(200n);
    confirmer.sendNow(0);
    expect(sent[0]?.flushed).toBe(500n);
    expect(sent[0]?.written).toBe(500n);
  });
});
