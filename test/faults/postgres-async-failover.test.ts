import { beforeAll, describe, expect, it } from 'vitest';
import type { KafkaClient } from '../../src/config/relay-config.js';
import { queryRows } from '../support/database.js';
import { allIdsSeen, checkDelivery, deliveredShare } from '../support/delivery-check.js';
import { expectNoLoss } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { consumeAll } from '../support/kafka.js';
import { KAFKA_CLIENT, writeTransactions } from '../support/outbox.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import {
  logEntry,
  type RelayProcess,
  startRelayProcess,
  streamingSessions,
} from '../support/relay-process.js';
import { serviceUrls, stackCommand } from '../support/services.js';
import { slotProgress, waitUntilConfirmed, walEnd } from '../support/slot-progress.js';
import { primaryAndStandbyUrl, withPort } from '../support/standby-urls.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Both clients where the project does not pin one: the PostgreSQL version matrix (scripts/test.sh)
 * runs only the default project, and this row needs PostgreSQL 17+.
 */
const SINKS: readonly KafkaClient[] = process.env.OUTBOX_KAFKA_CLIENT
  ? [KAFKA_CLIENT]
  : ['librdkafka', 'kafkajs'];

/** A standby copied and synchronized, a failover, and a minute of waiting for rows a fault may cost. */
const TIMEOUT_MS = 240_000;

/** How many times the relay has logged that it streams: a new session is one more. */

/**
 * Issue 25, path 2: PostgreSQL 17+ failover to a standby that synchronizes the relay's failover slot
 * but lagged (synchronized_standby_slots empty on the primary, its WAL receiver cut while the relay
 * delivered and confirmed 1,000 more events). The primary crashes, the standby is promoted, the relay
 * (multi-host DATABASE_URL) follows it, is killed and restarted. Every event committed on the new
 * primary must reach Kafka; the 1,000 that only the lost primary had were delivered before the crash
 * and are counted. Runs where the stack runs PostgreSQL 17 or 18 (STACK_PG_VERSION); skipped elsewhere.
 */
describe('fault: failover to an asynchronous standby that lagged (issue 25)', () => {
  let major = 0;

  beforeAll(async () => {
    const [row] = await queryRows<{ version: string }>(
      serviceUrls().databaseUrl,
      "SELECT current_setting('server_version_num') AS version",
    );
    major = Math.floor(Number(row?.version) / 10_000);
  });

  for (const client of SINKS) {
    it(
      `${client}: every event committed on the promoted standby reaches Kafka`,
      async (context) => {
        if (serviceUrls().kind !== 'local-stack' || major < 17) {
          context.skip(`needs the local stack on PostgreSQL 17+ (STACK_PG_VERSION=17), not ${major}`);
        }
        const standbyPort = Number(new URL(await stackCommand('standby-up', 'async')).port);
        let fixture: OutboxFixture | undefined;
        let relay: RelayProcess | undefined;
        try {
          fixture = await createOutboxFixture(`asyncfailover_${client}`);
          const { slot } = fixture;
          const primary = fixture.databaseUrl;
          const newPrimary = withPort(primary, standbyPort);
          const env = {
            ...fixture.env,
            DATABASE_URL: primaryAndStandbyUrl(primary, standbyPort),
            OUTBOX_KAFKA_CLIENT: client,
            OUTBOX_LOG_LEVEL: 'info',
            OUTBOX_RETRY_MAX_MS: '1000',
          };
          relay = startRelayProcess(['run'], env);
          const replicated = await writeTransactions(primary, 10, 50);
          await waitUntilConfirmed(primary, slot, await walEnd(primary));
          await waitFor(
            async () =>
              (
                await queryRows<{ ready: boolean }>(
                  newPrimary,
                  'SELECT synced AND NOT temporary AS ready FROM pg_replication_slots WHERE slot_name = $1',
                  [slot],
                )
              )[0]?.ready === true,
            { timeoutMs: 60_000, message: `slot "${slot}" synchronized on the standby` },
          );
          await stackCommand('standby-detach');
          const onlyOnLostPrimary = await writeTransactions(primary, 20, 50);
          await waitUntilConfirmed(primary, slot, await walEnd(primary));
          const before = streamingSessions(relay);
          await stackCommand('stop-pg', 'immediate');
          await stackCommand('standby-promote');
          const following = relay;
          await waitFor(() => streamingSessions(following) > before, {
            timeoutMs: 60_000,
            message: 'the relay streams from the promoted standby',
          }).catch((error: Error) => {
            throw new Error(
              `${error.message}; the relay's last output:\n${following.output().slice(-4_000)}`,
            );
          });
          // Events while it streams from the new primary; then wait until it has confirmed there.
          const mark = await walEnd(newPrimary);
          const during = await writeTransactions(newPrimary, 5, 10);
          await waitUntilConfirmed(newPrimary, slot, mark);
          const divergence = logEntry(
            following.output(),
            'does not have transactions whose events are in Kafka',
          );
          relay.kill('SIGKILL');
          expect(await relay.exited).toBe('SIGKILL');
          const slotAfterFailover = await slotProgress(newPrimary, slot);
          const after = await writeTransactions(newPrimary, 10, 10);
          relay = startRelayProcess(['run'], env);
          const onNewPrimary = [...during, ...after];
          const records = await consumeAll(fixture.kafkaBrokers, [fixture.topic('fault')], {
            until: allIdsSeen(onNewPrimary.map((event) => event.id)),
            timeoutMs: 60_000,
          });
          const report = checkDelivery([...replicated, ...onlyOnLostPrimary, ...onNewPrimary], records);
          const kept = new Set(
            (await queryRows<{ id: string }>(newPrimary, 'SELECT id::text FROM outbox')).map((row) => row.id),
          );
          const lostWithPrimary = onlyOnLostPrimary.filter((event) => !kept.has(event.id));
          recordFault(`postgres ${major} failover to a lagging async standby (issue 25)`, report, {
            sink: client,
            newRows: deliveredShare(after, records),
            rowsWhileUp: deliveredShare(during, records),
            onlyOnLostPrimary: lostWithPrimary.length,
            onlyOnLostPrimaryInKafka: deliveredShare(lostWithPrimary, records),
            slotConfirmed: slotAfterFailover.confirmed ?? 'none',
            walEnd: slotAfterFailover.walEnd,
          });
          expect(expectNoLoss(report)).toEqual([]);
          // The relay that followed the failover named what Kafka has and the new primary lacks.
          expect(divergence, 'the divergence reported').toBeDefined();
          expect(divergence).toMatchObject({
            level: 50,
            missingEvents: lostWithPrimary.length,
          });
        } finally {
          relay?.kill('SIGTERM');
          await relay?.exited;
          // The old primary becomes the main cluster again; the promoted standby goes.
          await stackCommand('start-pg');
          await stackCommand('standby-down');
          await fixture?.dispose().catch(() => undefined);
        }
      },
      TIMEOUT_MS,
    );
  }
});
