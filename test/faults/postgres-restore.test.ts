import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allIdsSeen, checkDelivery, deliveredShare } from '../support/delivery-check.js';
import { expectNoLoss } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { consumeAll } from '../support/kafka.js';
import { TEST_DELIVERY, type WrittenEvent, writeTransactions } from '../support/outbox.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import {
  logEntry,
  type RelayProcess,
  startRelayProcess,
  streamingSessions,
} from '../support/relay-process.js';
import { serviceUrls, stackCommand } from '../support/services.js';
import { slotProgress, waitUntilConfirmed, walEnd } from '../support/slot-progress.js';
import { waitFor } from '../support/wait-for.js';

const SNAPSHOT = 'before-checkpoint';
/** Two copies of the data directory, 5,000 events, and a minute of waiting for rows a fault may cost. */
const TIMEOUT_MS = 180_000;

/** How many times the relay has logged that it streams: a new session is one more. */

async function streamsAgain(relay: RelayProcess, before: number): Promise<void> {
  await waitFor(() => streamingSessions(relay) > before, {
    timeoutMs: 60_000,
    message: 'the relay streams',
  }).catch((error: Error) => {
    throw new Error(`${error.message}; the relay's last output:\n${relay.output().slice(-4_000)}`);
  });
}

/**
 * Issue 25, paths 1 and 2: the database restored from a copy of its data directory taken after `init`
 * and before 5,000 events were delivered (same system identifier; its WAL falls back behind what the
 * relay, its Kafka checkpoint and its memory have seen). Every event committed after the restore must
 * reach a read_committed consumer; the 5,000 of the discarded history were delivered before it.
 * Exactly-once: a fresh relay, reading its Kafka checkpoint. At-least-once: a relay that stays up
 * across the restore, then is killed and restarted.
 */
describe('fault: PostgreSQL restored from a data-directory copy taken before the checkpoint (issue 25)', () => {
  let fixture: OutboxFixture;

  beforeAll(async () => {
    fixture = await createOutboxFixture('pgrestore');
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  const exactlyOnce = TEST_DELIVERY === 'exactly-once';
  it(
    exactlyOnce
      ? 'exactly-once, relay restarted after the restore: every new event reaches Kafka'
      : 'at-least-once, relay up across the restore, then killed: every new event reaches Kafka',
    async (context) => {
      if (serviceUrls().kind !== 'local-stack') {
        context.skip('needs the local stack: it copies and restores its PostgreSQL data directory');
      }
      const url = fixture.databaseUrl;
      const env = { ...fixture.env, OUTBOX_LOG_LEVEL: 'info', OUTBOX_RETRY_MAX_MS: '1000' };
      await stackCommand('pg-snapshot', SNAPSHOT);
      let relay = startRelayProcess(['run'], env);
      try {
        const lost = await writeTransactions(url, 50, 100);
        await waitUntilConfirmed(url, fixture.slot, await walEnd(url));
        let during: WrittenEvent[] = [];
        let facedRestore = '';
        if (exactlyOnce) {
          relay.kill('SIGTERM');
          expect(await relay.exited).toBe(0);
          await stackCommand('pg-restore', SNAPSHOT);
          relay = startRelayProcess(['run'], env);
          await streamsAgain(relay, 0);
        } else {
          const before = streamingSessions(relay);
          await stackCommand('pg-restore', SNAPSHOT);
          await streamsAgain(relay, before);
          // Events while it streams from the restored server; then wait until it has confirmed there.
          const mark = await walEnd(url);
          during = await writeTransactions(url, 5, 10);
          await waitUntilConfirmed(url, fixture.slot, mark);
          facedRestore = relay.output();
          relay.kill('SIGKILL');
          expect(await relay.exited).toBe('SIGKILL');
          relay = startRelayProcess(['run'], env);
          await streamsAgain(relay, 0);
        }
        const slot = await slotProgress(url, fixture.slot);
        const after = await writeTransactions(url, 10, 10);
        const committedAfterRestore = [...during, ...after];
        const records = await consumeAll(fixture.kafkaBrokers, [fixture.topic('fault')], {
          until: allIdsSeen(committedAfterRestore.map((event) => event.id)),
          timeoutMs: 60_000,
        });
        const report = checkDelivery([...lost, ...committedAfterRestore], records);
        recordFault('postgres restored from a copy before the checkpoint (issue 25)', report, {
          newRows: deliveredShare(after, records),
          rowsWhileUp: deliveredShare(during, records),
          slotConfirmed: slot.confirmed ?? 'none',
          walEnd: slot.walEnd,
        });
        expect(expectNoLoss(report)).toEqual([]);
        // The relay that met the restored server said what Kafka has and the database lost.
        const divergence = logEntry(
          facedRestore || relay.output(),
          'does not have transactions whose events are in Kafka',
        );
        expect(divergence, 'the divergence reported').toBeDefined();
        expect(divergence).toMatchObject({
          level: 50,
          missingEvents: expect.any(Number),
        });
      } finally {
        relay.kill('SIGTERM');
        await relay.exited;
      }
    },
    TIMEOUT_MS,
  );
});
