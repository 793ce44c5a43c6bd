import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLoss, FaultRun } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { type RelayProcess, startRelayProcess } from '../support/relay-process.js';
import { waitFor } from '../support/wait-for.js';

const STREAMING = '"msg":"streaming"';

describe('fault: three relays on one slot, the leader killed', () => {
  let fixture: OutboxFixture;
  let admin: pg.Client;

  beforeAll(async () => {
    fixture = await createOutboxFixture('leader');
    admin = new pg.Client({ connectionString: fixture.databaseUrl });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await fixture?.dispose();
  });

  it('exactly one streams; a standby takes over within seconds; nothing is lost', async () => {
    const env = { ...fixture.env, OUTBOX_LOG_LEVEL: 'info', OUTBOX_LEADER_POLL_MS: '500' };
    const relays: RelayProcess[] = [0, 1, 2].map(() => startRelayProcess(['run'], env));
    const run = new FaultRun(fixture);
    const leaderOf = () => relays.filter((relay) => relay.output().includes(STREAMING));
    await waitFor(
      () =>
        leaderOf().length === 1 &&
        relays.every((r) => r.output().includes('standing by') || r.output().includes(STREAMING)),
      {
        timeoutMs: 30_000,
        message: 'one leader, two standbys',
      },
    );
    await waitFor(() => run.writer.written.length > 3_000, {
      timeoutMs: 30_000,
      message: 'writer progressed',
    });

    let maxStreaming = 0;
    const watch = setInterval(async () => {
      const { rows } = await admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name = 'outbox-relay'",
      );
      maxStreaming = Math.max(maxStreaming, rows[0]?.n ?? 0);
    }, 100);

    const leader = leaderOf()[0] as RelayProcess;
    const killedAt = Date.now();
    leader.kill('SIGKILL');
    await leader.exited;
    const standbys = relays.filter((relay) => relay !== leader);
    await waitFor(() => standbys.some((relay) => relay.output().includes(STREAMING)), {
      timeoutMs: 30_000,
      intervalMs: 50,
      message: 'a standby took over',
    });
    const takeoverSeconds = (Date.now() - killedAt) / 1000;
    await waitFor(() => run.writer.written.length > 0, { timeoutMs: 1_000 });
    const { report } = await run.finish();
    clearInterval(watch);
    for (const relay of standbys) relay.kill('SIGTERM');
    for (const relay of standbys) expect(await relay.exited).toBe(0);
    recordFault('3 relays, leader kill -9', report, { takeoverSeconds: takeoverSeconds.toFixed(1) });
    expect(expectNoLoss(report)).toEqual([]);
    expect(standbys.filter((relay) => relay.output().includes(STREAMING))).toHaveLength(1);
    expect(maxStreaming).toBeLessThanOrEqual(1);
    expect(takeoverSeconds).toBeLessThan(15);
  });
});
