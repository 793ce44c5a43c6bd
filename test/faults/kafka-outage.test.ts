import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLoss, FaultRun } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { startRelayProcess } from '../support/relay-process.js';
import { startKafka, stopKafka } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const MiB = 1024 * 1024;
const OUTAGE_MS = 30_000;

describe('fault: Kafka broker stopped for 30 s, twice', () => {
  let fixture: OutboxFixture;

  beforeAll(async () => {
    fixture = await createOutboxFixture('kafkaoutage');
  });

  afterAll(async () => {
    await startKafka();
    await fixture?.dispose();
  });

  it('retries, holds memory flat, confirms nothing while down, and catches up', async () => {
    const relay = startRelayProcess(['run'], {
      ...fixture.env,
      OUTBOX_MAX_INFLIGHT_EVENTS: '20000',
      OUTBOX_RETRY_MAX_MS: '5000',
    });
    const run = new FaultRun(fixture);
    await waitFor(() => run.writer.written.length > 2_000, {
      timeoutMs: 30_000,
      message: 'writer warmed up',
    });
    let peakWhileDown = 0;
    for (let outage = 0; outage < 2; outage++) {
      await stopKafka();
      const stoppedAt = Date.now();
      let confirmedSettled: bigint | null | undefined;
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        peakWhileDown = Math.max(peakWhileDown, await currentRss(relay.pid));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        // What was acknowledged before the stop is confirmed within a status interval or two.
        if (confirmedSettled === undefined && Date.now() - stoppedAt > 5_000) {
          confirmedSettled = await fixture.confirmedFlushLsn();
        }
      }
      expect(await fixture.confirmedFlushLsn(), 'confirmed nothing while Kafka was down').toBe(
        confirmedSettled,
      );
      await startKafka();
    }
    const { report } = await run.finish();
    relay.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    recordFault('kafka stopped 30 s x2', report, { peakRssMiB: Math.round(peakWhileDown / MiB) });
    expect(expectNoLoss(report)).toEqual([]);
    expect(peakWhileDown).toBeLessThan(200 * MiB);
  });
});

async function currentRss(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}
