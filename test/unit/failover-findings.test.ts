import { describe, expect, it } from 'vitest';
import { type FailoverFacts, failoverFindings } from '../../src/replication/failover.js';

const SETTINGS: FailoverFacts['settings'] = {
  synchronized_standby_slots: 'standby_slot',
  sync_replication_slots: 'off',
  hot_standby_feedback: 'off',
  primary_slot_name: '',
  primary_conninfo: '',
  idle_replication_slot_timeout: null,
};

const PRIMARY: FailoverFacts = {
  versionNum: 170_011,
  inRecovery: false,
  slot: { failover: true, synced: false },
  physicalSlots: [{ name: 'standby_slot', active: true }],
  standbys: ['standby1'],
  settings: SETTINGS,
};

const levels = (facts: FailoverFacts, wanted = true) =>
  failoverFindings(facts, 'outbox_relay', wanted).map(({ level, message }) => `${level}: ${message}`);

describe('what failover of the slot needs, and what is missing', () => {
  it('a primary with a failover slot and a synchronized standby: all ok, and what to check on the standby', () => {
    const found = levels(PRIMARY);
    expect(found.filter((line) => line.startsWith('warn'))).toEqual([]);
    expect(found).toContain('ok: slot "outbox_relay" is a failover slot');
    expect(found.at(-1)).toMatch(
      /^check: on each standby: sync_replication_slots = on, hot_standby_feedback = on/,
    );
  });

  it('names the fix of each missing primary setting', () => {
    const found = levels({
      ...PRIMARY,
      slot: { failover: false, synced: false },
      standbys: [],
      settings: { ...SETTINGS, synchronized_standby_slots: '' },
    });
    expect(found).toContain(
      'warn: slot "outbox_relay" is not a failover slot, so a promoted standby will not have it: run `outbox-relay init` while no relay streams (it turns failover on), or set OUTBOX_FAILOVER_SLOT=false',
    );
    expect(found.some((line) => line.startsWith('warn: no standby streams from this server'))).toBe(true);
    expect(found).toContainEqual(
      expect.stringContaining(
        "ALTER SYSTEM SET synchronized_standby_slots = 'standby_slot'; SELECT pg_reload_conf();",
      ),
    );
    expect(
      levels({ ...PRIMARY, settings: { ...SETTINGS, synchronized_standby_slots: 'gone' } }).some((line) =>
        line.includes('synchronized_standby_slots names "gone", which is not a physical slot here'),
      ),
    ).toBe(true);
  });

  it('on a standby, checks its own settings and whether the slot is synchronized', () => {
    const standby: FailoverFacts = {
      ...PRIMARY,
      inRecovery: true,
      slot: undefined,
      standbys: [],
      settings: SETTINGS,
    };
    const found = levels(standby);
    expect(found).toContain(
      "warn: sync_replication_slots is 'off': set sync_replication_slots = on on this standby, or failover slots are not synchronized to it",
    );
    expect(found.some((line) => line.startsWith('warn: hot_standby_feedback is'))).toBe(true);
    expect(found.some((line) => line.startsWith('warn: primary_slot_name is not set'))).toBe(true);
    expect(found).toContain('warn: primary_conninfo has no dbname=…: slot synchronization needs one');
    expect(found).toContain(
      'warn: slot "outbox_relay" is not on this standby: it is not synchronized here (yet)',
    );
    const ready = levels({
      ...standby,
      slot: { failover: true, synced: true },
      settings: {
        ...SETTINGS,
        sync_replication_slots: 'on',
        hot_standby_feedback: 'on',
        primary_slot_name: 'standby_slot',
        primary_conninfo: null,
      },
    });
    expect(ready.filter((line) => line.startsWith('warn'))).toEqual([]);
    expect(ready).toContain(
      'check: primary_conninfo cannot be read by this role: check that it has dbname=…',
    );
  });

  it('before PostgreSQL 17 there are no failover slots; on 18, an idle-slot timeout is a risk', () => {
    expect(levels({ ...PRIMARY, versionNum: 160_009 })).toEqual([
      'warn: PostgreSQL 16 has no failover slots (17+): after a failover the new primary has no slot "outbox_relay", and the relay stops with the slot-lost error (docs/production.md: failover)',
    ]);
    const found = levels({
      ...PRIMARY,
      versionNum: 180_006,
      settings: { ...SETTINGS, idle_replication_slot_timeout: '300' },
    });
    expect(found[0]).toMatch(/^warn: idle_replication_slot_timeout = 300s invalidates a slot idle that long/);
    expect(levels(PRIMARY, false)).toEqual(['ok: failover slots are off (OUTBOX_FAILOVER_SLOT=false)']);
  });
});
