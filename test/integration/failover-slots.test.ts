import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { layoutFromConfig } from '../../src/outbox/layout.js';
import { slotStatus } from '../../src/replication/slot-status.js';
import { initialize } from '../../src/setup/initialize.js';
import { type ScratchPostgres, startScratchPostgres } from '../support/scratch-postgres.js';
import { serviceUrls } from '../support/services.js';

/** PostgreSQL 17's failover slots: init creates one, turns failover on for an old slot, and says what failover lacks. */
describe('failover slots on PostgreSQL 17', () => {
  let scratch: ScratchPostgres;
  let client: pg.Client;
  const configFor = (slot: string, failover: boolean) =>
    loadConfig({
      env: {
        DATABASE_URL: scratch.url,
        KAFKA_BROKERS: serviceUrls().kafkaBrokers,
        OUTBOX_SLOT: slot,
        OUTBOX_PUBLICATION: 'outbox_relay',
        OUTBOX_FAILOVER_SLOT: String(failover),
      },
    });
  const init = (slot: string, failover: boolean) => {
    const config = configFor(slot, failover);
    return initialize(client, config, layoutFromConfig(config), { createTable: true });
  };
  const failoverOf = async (slot: string) =>
    (await client.query('SELECT failover FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0]
      ?.failover;

  beforeAll(async () => {
    scratch = await startScratchPostgres({ walLevel: 'logical', port: 54341, major: 17 });
    client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await scratch?.stop();
  });

  it('creates the slot as a failover slot and says what failover still lacks', async () => {
    const report = await init('relay_failover', true);
    expect(report.createdSlot).toBe(true);
    expect(report.slotFailover).toBe('on');
    expect(await failoverOf('relay_failover')).toBe(true);
    const warnings = report.failover
      .filter((finding) => finding.level === 'warn')
      .map((finding) => finding.message);
    expect(warnings).toEqual([
      'no standby streams from this server: the failover slot is synchronized nowhere, and a failover would lose it',
      expect.stringMatching(
        /^synchronized_standby_slots is empty: .* ALTER SYSTEM SET synchronized_standby_slots = /,
      ),
    ]);
    const status = await slotStatus(client, configFor('relay_failover', true));
    expect(status.failover).toEqual(report.failover);
  });

  it('leaves failover off when asked, and turns it on for an existing slot later', async () => {
    const off = await init('relay_plain', false);
    expect(off.slotFailover).toBe('off');
    expect(await failoverOf('relay_plain')).toBe(false);
    expect(off.failover).toEqual([
      { level: 'ok', message: 'failover slots are off (OUTBOX_FAILOVER_SLOT=false)' },
    ]);
    const status = await slotStatus(client, configFor('relay_plain', true));
    expect(status.failover.map((finding) => finding.message)).toContain(
      'slot "relay_plain" is not a failover slot, so a promoted standby will not have it: run `outbox-relay init` while no relay streams (it turns failover on), or set OUTBOX_FAILOVER_SLOT=false',
    );
    const on = await init('relay_plain', true);
    expect(on.createdSlot).toBe(false);
    expect(on.slotFailover).toBe('turned-on');
    expect(await failoverOf('relay_plain')).toBe(true);
  });
});
