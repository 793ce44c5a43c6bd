import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLoss, FaultRun } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { type RelayProcess, startRelayProcess } from '../support/relay-process.js';
import { waitFor } from '../support/wait-for.js';

describe('fault: relay killed with SIGKILL five times at random moments', () => {
  let fixture: OutboxFixture;

  beforeAll(async () => {
    fixture = await createOutboxFixture('relaykill');
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  it('resends what was not confirmed: every event at least once, in order per aggregate', async () => {
    const env = { ...fixture.env, OUTBOX_LOG_LEVEL: 'info' };
    const run = new FaultRun(fixture);
    let relay: RelayProcess = startRelayProcess(['run'], env);
    for (let kill = 0; kill < 5; kill++) {
      await waitFor(() => relay.output().includes('"msg":"streaming"'), {
        timeoutMs: 30_000,
        message: 'relay streams',
      });
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 3_000));
      relay.kill('SIGKILL');
      expect(await relay.exited).toBe('SIGKILL');
      relay = startRelayProcess(['run'], env);
    }
    await waitFor(() => relay.output().includes('"msg":"streaming"'), {
      timeoutMs: 30_000,
      message: 'relay streams',
    });
    const { report } = await run.finish();
    relay.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    recordFault('relay kill -9 x5', report);
    expect(expectNoLoss(report)).toEqual([]);
  });
});
