import { beforeAll, describe, expect, it } from 'vitest';
import { ContinuousWriter } from '../support/continuous-writer.js';
import { queryRows as query } from '../support/database.js';
import { allIdsSeen, checkDelivery } from '../support/delivery-check.js';
import { expectNoLoss } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { consumeAll } from '../support/kafka.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { runRelayCommand, startRelayProcess } from '../support/relay-process.js';
import { serviceUrls, stackCommand } from '../support/services.js';
import { primaryAndStandbyUrl, withPort } from '../support/standby-urls.js';
import { waitFor } from '../support/wait-for.js';

/**
 * PostgreSQL 17+ failover: a primary with a physical standby (scripts/stack/standby.sh), the
 * relay's slot a failover slot, DATABASE_URL naming both hosts. The primary crashes and the
 * standby is promoted; the relay finds the new primary and its synchronized slot by itself.
 * Runs where the stack runs PostgreSQL 17 or 18 (STACK_PG_VERSION); skipped elsewhere.
 */
describe('fault: PostgreSQL primary crashed, standby promoted (failover slots)', () => {
  let major = 0;
  let fixture: OutboxFixture | undefined;

  beforeAll(async () => {
    const services = serviceUrls();
    const [row] = await query<{ version: string }>(
      services.databaseUrl,
      "SELECT current_setting('server_version_num') AS version",
    );
    major = Math.floor(Number(row?.version) / 10_000);
  });

  /** The old primary becomes the main cluster again; the promoted standby goes. */
  async function restore(): Promise<void> {
    await stackCommand('standby-down');
    await stackCommand('start-pg');
    await fixture?.dispose().catch(() => undefined);
    fixture = undefined;
  }

  for (const mode of ['synchronized', 'plain'] as const) {
    it(
      mode === 'synchronized'
        ? 'with synchronized_standby_slots and slot sync: resumes on the new primary, losing nothing it has'
        : 'without the standby settings: stops with the slot-lost error, and status says why',
      async (context) => {
        if (serviceUrls().kind !== 'local-stack' || major < 17) {
          context.skip(`needs the local stack on PostgreSQL 17+ (STACK_PG_VERSION=17), not ${major}`);
        }
        const standbyUrl = await stackCommand('standby-up', ...(mode === 'plain' ? ['plain'] : []));
        const standbyPort = Number(new URL(standbyUrl).port);
        fixture = await createOutboxFixture(`failover_${mode}`);
        const primaryUrl = fixture.databaseUrl;
        const database = new URL(primaryUrl).pathname;
        const both = primaryAndStandbyUrl(primaryUrl, standbyPort);
        const newPrimary = withPort(primaryUrl, standbyPort);
        const relay = startRelayProcess(['run'], {
          ...fixture.env,
          DATABASE_URL: both,
          OUTBOX_LOG_LEVEL: 'info',
          OUTBOX_RETRY_MAX_MS: '1000',
        });
        const writer = new ContinuousWriter(both, { aggregateType: 'fault', aggregates: 500, pauseMs: 5 });
        try {
          await waitFor(() => writer.written.length > 3_000, {
            timeoutMs: 60_000,
            message: 'writer progressed',
          });
          if (mode === 'synchronized') {
            await waitFor(
              async () =>
                (
                  await query<{ ready: boolean }>(
                    newPrimary,
                    'SELECT synced AND NOT temporary AS ready FROM pg_replication_slots WHERE slot_name = $1',
                    [fixture?.slot],
                  )
                )[0]?.ready === true,
              { timeoutMs: 60_000, message: `slot synchronized on the standby (database ${database})` },
            );
          }
          // `status` against the standby: what it has of the slot, and its own settings.
          const onStandby = await runRelayCommand(['status'], { ...fixture.env, DATABASE_URL: newPrimary });
          const initOnStandby = await runRelayCommand(['init'], { ...fixture.env, DATABASE_URL: newPrimary });
          expect(initOnStandby.code).toBe(2);
          expect(initOnStandby.output).toContain(
            'this server is a standby: run `outbox-relay init` against the primary',
          );
          if (mode === 'synchronized') {
            expect(onStandby.output).toContain(
              `ok     slot "${fixture.slot}" is synchronized here (synced = true)`,
            );
            expect(onStandby.output).not.toContain('warn ');
          } else {
            expect(onStandby.code).toBe(2);
            expect(onStandby.output).toContain(`warn   slot "${fixture.slot}" is not on this standby`);
            expect(onStandby.output).toContain("warn   sync_replication_slots is 'off'");
          }
          // Counted before the crash: the relay may stream from the new primary before standby-promote returns.
          const streamed = relay.output().split('"msg":"streaming"').length;
          await stackCommand('stop-pg', 'immediate');
          await stackCommand('standby-promote');
          const promotedAt = Date.now();
          if (mode === 'plain') {
            expect(await relay.exited).toBe(2);
            expect(relay.output()).toContain(`replication slot \\"${fixture.slot}\\" does not exist`);
            const status = await runRelayCommand(['status'], { ...fixture.env, DATABASE_URL: both });
            expect(status.code).toBe(2);
            expect(status.output).toContain(`replication slot "${fixture.slot}" does not exist`);
            expect(status.output).toContain('a promoted standby that did not have it');
            await writer.stop();
            return;
          }
          await waitFor(() => relay.output().split('"msg":"streaming"').length > streamed, {
            timeoutMs: 60_000,
            message: 'relay streams from the new primary',
          }).catch((error: Error) => {
            throw new Error(`${error.message}; the relay's last output:\n${relay.output().slice(-4_000)}`);
          });
          const takeoverSeconds = (Date.now() - promotedAt) / 1000;
          const target = writer.written.length + 2_000;
          await waitFor(() => writer.written.length > target, {
            timeoutMs: 60_000,
            message: 'writer on the new primary',
          });
          const written = await writer.stop();
          // What the new primary has is what must be published: a commit the old primary acknowledged
          // but never shipped is gone with it.
          const kept = new Set(
            (await query<{ id: string }>(newPrimary, 'SELECT id::text FROM outbox')).map((row) => row.id),
          );
          const expected = written.filter((event) => kept.has(event.id));
          const records = await consumeAll(fixture.kafkaBrokers, [fixture.topic('fault')], {
            until: allIdsSeen(expected.map((event) => event.id)),
            timeoutMs: 120_000,
          });
          const report = checkDelivery(expected, records);
          recordFault(`postgres ${major} failover (crash, promote)`, report, {
            takeoverSeconds: takeoverSeconds.toFixed(1),
            lostWithOldPrimary: written.length - expected.length,
          });
          expect(expectNoLoss(report)).toEqual([]);
        } finally {
          await writer.stop().catch(() => undefined);
          relay.kill('SIGTERM');
          await relay.exited;
          await restore();
        }
      },
    );
  }
});
