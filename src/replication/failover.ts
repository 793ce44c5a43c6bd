import type pg from 'pg';
import { SetupError } from '../errors.js';
import { quoteIdentifier } from '../sql-quote.js';
import { replicationClient } from './pg-internals.js';
import { resolvePrimary } from './primary.js';

/** What failover needs, as this server shows it: a primary's or a standby's view. */
export interface FailoverFacts {
  /** server_version_num, e.g. 170005. */
  readonly versionNum: number;
  readonly inRecovery: boolean;
  /** The relay's slot here (failover and synced are null before PostgreSQL 17); undefined: no such slot. */
  readonly slot: { readonly failover: boolean | null; readonly synced: boolean | null } | undefined;
  /** Physical slots here, with whether a standby streams from each. */
  readonly physicalSlots: readonly { readonly name: string; readonly active: boolean }[];
  /** Standbys streaming from this server (pg_stat_replication, walsenders of physical replication). */
  readonly standbys: readonly string[];
  /** Settings by name; null where this version has no such setting or this role cannot read it. */
  readonly settings: Readonly<Record<FailoverSetting, string | null>>;
}

const SETTINGS = [
  'synchronized_standby_slots',
  'sync_replication_slots',
  'hot_standby_feedback',
  'primary_slot_name',
  'primary_conninfo',
  'idle_replication_slot_timeout',
] as const;
type FailoverSetting = (typeof SETTINGS)[number];

export type FindingLevel = 'ok' | 'warn' | 'check';

/** One line of the failover report: ok, a problem with its fix, or something to check elsewhere. */
export interface Finding {
  readonly level: FindingLevel;
  readonly message: string;
}

export async function readFailoverFacts(client: pg.ClientBase, slot: string): Promise<FailoverFacts> {
  const { rows: server } = await client.query<{ version: string; recovery: boolean }>(
    "SELECT current_setting('server_version_num') AS version, pg_is_in_recovery() AS recovery",
  );
  // to_jsonb: the failover and synced columns exist from PostgreSQL 17 on.
  const { rows: slots } = await client.query<{
    name: string;
    type: string;
    active: boolean;
    failover: boolean | null;
    synced: boolean | null;
  }>(
    `SELECT slot_name AS name, slot_type AS type, active,
            (to_jsonb(s) ->> 'failover')::boolean AS failover, (to_jsonb(s) ->> 'synced')::boolean AS synced
     FROM pg_replication_slots s`,
  );
  const { rows: standbys } = await client.query<{ name: string }>(
    "SELECT application_name AS name FROM pg_stat_replication WHERE state = 'streaming' AND pid NOT IN (SELECT active_pid FROM pg_replication_slots WHERE slot_type = 'logical' AND active_pid IS NOT NULL)",
  );
  const settings = await readSettings(client);
  const own = slots.find((row) => row.name === slot && row.type === 'logical');
  return {
    versionNum: Number(server[0]?.version ?? 0),
    inRecovery: server[0]?.recovery === true,
    slot: own ? { failover: own.failover, synced: own.synced } : undefined,
    physicalSlots: slots
      .filter((row) => row.type === 'physical')
      .map(({ name, active }) => ({ name, active })),
    standbys: standbys.map((row) => row.name),
    settings,
  };
}

/** The settings by name, in one query; null where this version has no such setting, or this role may not see it (primary_conninfo). */
async function readSettings(client: pg.ClientBase): Promise<Record<FailoverSetting, string | null>> {
  const { rows } = await client.query<{ name: string; setting: string }>(
    'SELECT name, setting FROM pg_settings WHERE name = ANY($1)',
    [SETTINGS],
  );
  const found = new Map(rows.map((row) => [row.name, row.setting]));
  return Object.fromEntries(SETTINGS.map((name) => [name, found.get(name) ?? null])) as Record<
    FailoverSetting,
    string | null
  >;
}

/**
 * What failover of the relay's slot needs and what is missing, each with its fix (PostgreSQL 17's
 * failover slots: the slot created with failover, synchronized_standby_slots on the primary, and on
 * the standby sync_replication_slots, hot_standby_feedback, primary_slot_name and a dbname in
 * primary_conninfo). `wanted`: OUTBOX_FAILOVER_SLOT.
 */
export function failoverFindings(facts: FailoverFacts, slot: string, wanted: boolean): Finding[] {
  const major = Math.floor(facts.versionNum / 10_000);
  const findings: Finding[] = [];
  if (major < 17) {
    return [
      {
        level: 'warn',
        message: `PostgreSQL ${major} has no failover slots (17+): after a failover the new primary has no slot "${slot}", and the relay stops with the slot-lost error (docs/production.md: failover)`,
      },
    ];
  }
  const timeout = Number(facts.settings.idle_replication_slot_timeout ?? 0);
  if (timeout > 0) {
    findings.push({
      level: 'warn',
      message: `idle_replication_slot_timeout = ${timeout}s invalidates a slot idle that long: a relay stopped longer (maintenance, an outage) then finds "${slot}" lost. Set it to 0, or above the longest time no relay may stream`,
    });
  }
  return [
    ...findings,
    ...(facts.inRecovery ? standbyFindings(facts, slot) : primaryFindings(facts, slot, wanted)),
  ];
}

function primaryFindings(facts: FailoverFacts, slot: string, wanted: boolean): Finding[] {
  if (!wanted) return [{ level: 'ok', message: 'failover slots are off (OUTBOX_FAILOVER_SLOT=false)' }];
  const findings: Finding[] = [];
  if (facts.slot && facts.slot.failover !== true) {
    findings.push({
      level: 'warn',
      message: `slot "${slot}" is not a failover slot, so a promoted standby will not have it: run \`outbox-relay init\` while no relay streams (it turns failover on), or set OUTBOX_FAILOVER_SLOT=false`,
    });
  } else if (facts.slot) {
    findings.push({ level: 'ok', message: `slot "${slot}" is a failover slot` });
  }
  if (facts.standbys.length === 0) {
    findings.push({
      level: 'warn',
      message:
        'no standby streams from this server: the failover slot is synchronized nowhere, and a failover would lose it',
    });
  } else {
    findings.push({ level: 'ok', message: `standbys streaming: ${facts.standbys.join(', ')}` });
  }
  const named = (facts.settings.synchronized_standby_slots ?? '')
    .split(',')
    .map((name) => name.trim().replace(/^"|"$/g, ''))
    .filter(Boolean);
  const physical = facts.physicalSlots.map((physicalSlot) => physicalSlot.name);
  if (named.length === 0) {
    const suggestion = physical.length > 0 ? physical.join(',') : '<the standby physical slot>';
    findings.push({
      level: 'warn',
      message:
        'synchronized_standby_slots is empty: the relay may be sent changes no standby has received yet, and publish events a promoted standby does not have. ' +
        `Set it to the standbys' physical slots: ALTER SYSTEM SET synchronized_standby_slots = '${suggestion}'; SELECT pg_reload_conf();`,
    });
  } else {
    const unknown = named.filter((name) => !physical.includes(name) && name !== '*');
    if (unknown.length > 0) {
      findings.push({
        level: 'warn',
        message: `synchronized_standby_slots names ${unknown.map((name) => `"${name}"`).join(', ')}, which is not a physical slot here: logical decoding waits for it for ever. Create the slot for the standby, or fix the setting`,
      });
    } else {
      findings.push({ level: 'ok', message: `synchronized_standby_slots = '${named.join(',')}'` });
    }
  }
  findings.push({
    level: 'check',
    message:
      'on each standby: sync_replication_slots = on, hot_standby_feedback = on, primary_slot_name set, and dbname=… in primary_conninfo; `outbox-relay status` against a standby says whether the slot is synced there',
  });
  return findings;
}

function standbyFindings(facts: FailoverFacts, slot: string): Finding[] {
  const findings: Finding[] = [];
  const want = (setting: FailoverSetting, expected: string, fix: string) => {
    const value = facts.settings[setting];
    if (value === expected) findings.push({ level: 'ok', message: `${setting} = ${value}` });
    else
      findings.push({
        level: 'warn',
        message: `${setting} is ${value === null ? 'not set' : `'${value}'`}: ${fix}`,
      });
  };
  want(
    'sync_replication_slots',
    'on',
    'set sync_replication_slots = on on this standby, or failover slots are not synchronized to it',
  );
  want(
    'hot_standby_feedback',
    'on',
    'set hot_standby_feedback = on on this standby, or its synchronized slots can be invalidated',
  );
  if (facts.settings.primary_slot_name) {
    findings.push({ level: 'ok', message: `primary_slot_name = '${facts.settings.primary_slot_name}'` });
  } else {
    findings.push({
      level: 'warn',
      message:
        "primary_slot_name is not set: stream from a physical slot on the primary, and name that slot in the primary's synchronized_standby_slots",
    });
  }
  const conninfo = facts.settings.primary_conninfo;
  if (conninfo === null) {
    findings.push({
      level: 'check',
      message: 'primary_conninfo cannot be read by this role: check that it has dbname=…',
    });
  } else if (!/\bdbname\s*=/.test(conninfo)) {
    findings.push({
      level: 'warn',
      message: 'primary_conninfo has no dbname=…: slot synchronization needs one',
    });
  } else {
    findings.push({ level: 'ok', message: 'primary_conninfo names a database' });
  }
  if (!facts.slot) {
    findings.push({
      level: 'warn',
      message: `slot "${slot}" is not on this standby: it is not synchronized here (yet)`,
    });
  } else if (facts.slot.synced) {
    findings.push({ level: 'ok', message: `slot "${slot}" is synchronized here (synced = true)` });
  } else {
    findings.push({
      level: 'warn',
      message: `slot "${slot}" exists here but is not a synchronized slot: after a promotion it would not follow the primary's`,
    });
  }
  return findings;
}

/**
 * ALTER_REPLICATION_SLOT ... (FAILOVER true), a replication-protocol command (PostgreSQL 17+); it
 * fails while a relay streams from the slot.
 */
export async function enableFailover(databaseUrl: string, slot: string): Promise<void> {
  const client = replicationClient({ connectionString: await resolvePrimary(databaseUrl) });
  await client.connect();
  try {
    await client.query(`ALTER_REPLICATION_SLOT ${quoteIdentifier(slot)} ( FAILOVER true )`);
  } catch (error) {
    throw new SetupError(
      `cannot make slot "${slot}" a failover slot: ${(error as Error).message}. Stop the relays streaming from it and run \`outbox-relay init\` again, or set OUTBOX_FAILOVER_SLOT=false`,
    );
  } finally {
    await client.end();
  }
}

export function formatFindings(findings: readonly Finding[]): string[] {
  return findings.map(({ level, message }) => `${level.padEnd(5)}  ${message}`);
}
