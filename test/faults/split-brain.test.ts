import { afterEach, describe, expect, it } from 'vitest';
import { ContinuousWriter } from '../support/continuous-writer.js';
import { queryRows } from '../support/database.js';
import { allIdsSeen, checkDelivery } from '../support/delivery-check.js';
import { expectNoLoss } from '../support/fault-run.js';
import { recordFault } from '../support/fault-summary.js';
import { consumeAll } from '../support/kafka.js';
import { PartitionProxy } from '../support/partition-proxy.js';
import { createOutboxFixture, type OutboxFixture } from '../support/relay-harness.js';
import { type RelayProcess, runRelayCommand, startRelayProcess } from '../support/relay-process.js';
import { serviceUrls, stackCommand } from '../support/services.js';
import { slotProgress, waitUntilConfirmed, walEnd } from '../support/slot-progress.js';
import { primaryAndStandbyUrl, withPort } from '../support/standby-urls.js';
import { waitFor } from '../support/wait-for.js';

/** A slot: whether a relay streams from it, and what it was last told. */
async function slotOn(url: string, slot: string): Promise<{ active: boolean; confirmed: string }> {
  const [row] = await queryRows<{ active: boolean; confirmed: string }>(
    url,
    'SELECT active, confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  if (!row) throw new Error(`no slot ${slot} on ${new URL(url).host}`);
  return row;
}

async function waitForOutput(relay: RelayProcess, text: string, what: string): Promise<void> {
  await waitFor(() => relay.output().includes(text), { timeoutMs: 60_000, message: what }).catch(
    (error: Error) => {
      throw new Error(`${error.message}; the relay's last output:\n${relay.output().slice(-4_000)}`);
    },
  );
}

/**
 * Split brain: DATABASE_URL lists the old primary first and its standby second; the standby is
 * promoted while the old primary runs on and takes writes (an application still connected to it).
 * Both accept writes: the relays must stream from, and confirm on, the promoted one only. The
 * relays reach the standby through a proxy that stays closed until the promoted standby has the slot
 * (a physical standby before PostgreSQL 17 has no logical slot, and `init` needs it writable):
 * until then, to them, the old primary is the only host. Then one relay, already streaming from the
 * old primary, must leave it; another, started now, must never use it.
 */
describe('fault: split brain, two writable hosts in DATABASE_URL', () => {
  let fixture: OutboxFixture | undefined;
  let proxy: PartitionProxy | undefined;
  const relays: RelayProcess[] = [];

  afterEach(async () => {
    for (const relay of relays.splice(0)) {
      relay.kill('SIGTERM');
      await relay.exited;
    }
    await proxy?.close();
    await stackCommand('standby-down');
    await fixture?.dispose().catch(() => undefined);
    fixture = undefined;
  });

  it('streams from the promoted standby only: the relay on the old primary leaves it, a new one never uses it, 0 lost', async (context) => {
    if (serviceUrls().kind !== 'local-stack')
      context.skip('needs the local stack (scripts/stack/standby.sh)');
    const standbyUrl = await stackCommand('standby-up', 'plain');
    fixture = await createOutboxFixture('split_brain');
    const { slot } = fixture;
    const oldPrimary = fixture.databaseUrl;
    const oldHost = new URL(oldPrimary).host;
    const newPrimary = withPort(oldPrimary, Number(new URL(standbyUrl).port));
    proxy = await PartitionProxy.start('127.0.0.1', Number(new URL(standbyUrl).port));
    proxy.partition();
    const newHost = `127.0.0.1:${proxy.port}`;
    const both = primaryAndStandbyUrl(oldPrimary, proxy.port);
    const relayEnv = {
      ...fixture.env,
      DATABASE_URL: both,
      OUTBOX_LOG_LEVEL: 'info',
      OUTBOX_RETRY_MAX_MS: '1000',
    };

    const onOld = startRelayProcess(['run'], relayEnv);
    relays.push(onOld);
    // The application keeps writing to the old primary throughout, as one that never learned of the promotion.
    const oldWriter = new ContinuousWriter(oldPrimary, {
      aggregateType: 'old',
      aggregatePrefix: 'old',
      aggregates: 200,
      pauseMs: 5,
    });
    let newWriter: ContinuousWriter | undefined;
    try {
      await waitForOutput(onOld, '"msg":"streaming"', 'relay streams from the old primary');
      await waitFor(() => oldWriter.written.length > 2_000, { timeoutMs: 60_000, message: 'old writer' });

      await stackCommand('standby-promote');
      // The old primary runs far ahead of the new one's WAL: a position it confirmed means nothing there.
      await queryRows(
        oldPrimary,
        "SELECT pg_logical_emit_message(false, 'split-brain-filler', repeat('x', 64 * 1024 * 1024))",
      );
      const afterPromotion = await walEnd(oldPrimary);
      const init = await runRelayCommand(['init'], { ...fixture.env, DATABASE_URL: newPrimary });
      expect(init.code, init.output).toBe(0);
      // From the new primary's slot on: what it had before the slot is not its to publish (no slot on a standby before 17).
      newWriter = new ContinuousWriter(newPrimary, { aggregateType: 'fault', aggregates: 500, pauseMs: 5 });
      const writing = newWriter;
      await waitFor(() => writing.written.length > 1_000, { timeoutMs: 60_000, message: 'new writer' });
      // What the old primary had before the fork is on both: the relay there has confirmed it.
      await waitUntilConfirmed(oldPrimary, slot, afterPromotion);

      proxy.heal();
      const started = startRelayProcess(['run'], relayEnv);
      relays.push(started);
      const staleLine = `split brain: ${oldHost} is writable but is not the primary: ${newHost}'s timeline 2 forked from its timeline 1`;
      await waitForOutput(started, staleLine, 'the new relay names the old primary as stale');
      await waitForOutput(
        onOld,
        `${newHost} is the primary now, not ${oldHost}`,
        'the relay on the old primary leaves it',
      );
      await waitFor(async () => !(await slotOn(oldPrimary, slot)).active, {
        timeoutMs: 30_000,
        message: "the old primary's slot released",
      });
      const toldOld = (await slotOn(oldPrimary, slot)).confirmed;

      // The relay that came from the old primary streams from the new one: from that server's own slot.
      await waitFor(() => writing.written.length > 2_000, { timeoutMs: 60_000, message: 'new writer' });
      started.kill('SIGTERM');
      expect(await started.exited).toBe(0);
      await waitFor(() => onOld.output().split('"msg":"streaming"').length > 2, {
        timeoutMs: 60_000,
        message: 'the relay from the old primary streams from the new one',
      });
      const target = writing.written.length + 2_000;
      await waitFor(() => writing.written.length > target, { timeoutMs: 60_000, message: 'new writer' });
      const [oldWritten, newWritten] = [await oldWriter.stop(), await writing.stop()];
      // Written on the old primary and kept by the new one (before the fork) must be published as well.
      const kept = new Set(
        (await queryRows<{ id: string }>(newPrimary, 'SELECT id::text FROM outbox')).map((row) => row.id),
      );
      const expected = [...oldWritten.filter((event) => kept.has(event.id)), ...newWritten];
      const records = await consumeAll(fixture.kafkaBrokers, [fixture.topic('fault'), fixture.topic('old')], {
        until: allIdsSeen(expected.map((event) => event.id)),
        timeoutMs: 120_000,
      });
      // Events committed on the old primary after the fork, published before the relay there left: in
      // Kafka, and on no primary; not a loss, and counted.
      const onlyOnOld = new Set(oldWritten.filter((event) => !kept.has(event.id)).map((event) => event.id));
      const report = checkDelivery(
        expected,
        records.filter((record) => !onlyOnOld.has(record.headers.id ?? '')),
      );
      recordFault('split brain (old primary first in the URL, standby promoted beside it)', report, {
        publishedFromOldPrimaryAfterFork: records.filter((record) => onlyOnOld.has(record.headers.id ?? ''))
          .length,
        writtenOnOldPrimaryAfterFork: onlyOnOld.size,
      });
      const lostNew = newWritten.filter((event) => report.missing.includes(event.id)).length;
      expect(expectNoLoss(report), `${lostNew} of the lost written on the new primary`).toEqual([]);
      // Nothing streamed from or confirmed on the old primary since the relay there left, though it took writes.
      expect(await slotOn(oldPrimary, slot)).toEqual({ active: false, confirmed: toldOld });
      // The new primary was only ever told positions of its own WAL.
      const onNew = await slotProgress(newPrimary, slot);
      expect(onNew.beyondWal, `${onNew.confirmed} confirmed, WAL at ${onNew.walEnd}`).toBe(false);
    } finally {
      await oldWriter.stop();
      await newWriter?.stop();
    }
  }, 300_000);
});
