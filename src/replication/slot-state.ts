import type pg from 'pg';
import { SetupError } from '../errors.js';
import { type Lsn, parseLsn } from './lsn.js';

/** A replication slot as pg_replication_slots shows it, with the server's lag behind it. */
export interface SlotState {
  readonly slot: string;
  readonly plugin: string;
  readonly database: string;
  readonly active: boolean;
  readonly activePid: number | null;
  readonly confirmedFlushLsn: Lsn | null;
  readonly currentWalLsn: Lsn;
  /** Bytes of WAL written since the slot's confirmed position: what a restart would re-read. */
  readonly lagBytes: number;
  /** reserved, extended, unreserved or lost (lost: the slot can no longer be used). */
  readonly walStatus: string | null;
  /** Bytes until the slot risks losing WAL (null when max_slot_wal_keep_size is unlimited). */
  readonly safeWalSizeBytes: number | null;
  /** Why PostgreSQL invalidated the slot (17+: wal_removed, rows_removed, idle_timeout, …); null if usable. */
  readonly invalidationReason: string | null;
}

// On a standby (a synchronized slot) the WAL position is the one replayed so far.
const QUERY = `
  WITH wal AS (
    SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END AS lsn
  )
  SELECT slot_name, plugin, database, active, active_pid,
         confirmed_flush_lsn::text AS confirmed_flush_lsn,
         wal.lsn::text AS current_wal_lsn,
         COALESCE(pg_wal_lsn_diff(wal.lsn, confirmed_flush_lsn), 0)::text AS lag_bytes,
         wal_status, safe_wal_size::text AS safe_wal_size,
         to_jsonb(s) ->> 'invalidation_reason' AS invalidation_reason
  FROM pg_replication_slots s, wal WHERE slot_name = $1`;

interface SlotRow {
  slot_name: string;
  plugin: string | null;
  database: string | null;
  active: boolean;
  active_pid: number | null;
  confirmed_flush_lsn: string | null;
  current_wal_lsn: string;
  lag_bytes: string;
  wal_status: string | null;
  safe_wal_size: string | null;
  invalidation_reason: string | null;
}

export async function readSlotState(client: pg.ClientBase, slot: string): Promise<SlotState | undefined> {
  const { rows } = await client.query<SlotRow>(QUERY, [slot]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    slot: row.slot_name,
    plugin: row.plugin ?? '',
    database: row.database ?? '',
    active: row.active,
    activePid: row.active_pid,
    confirmedFlushLsn: row.confirmed_flush_lsn === null ? null : parseLsn(row.confirmed_flush_lsn),
    currentWalLsn: parseLsn(row.current_wal_lsn),
    lagBytes: Math.max(0, Number(row.lag_bytes)),
    walStatus: row.wal_status,
    safeWalSizeBytes: row.safe_wal_size === null ? null : Number(row.safe_wal_size),
    invalidationReason: row.invalidation_reason,
  };
}

/** The slot is gone, or never was: what that means, and the recovery. */
export function slotMissingError(slot: string): SetupError {
  return new SetupError(
    `replication slot "${slot}" does not exist: run \`outbox-relay init\` to create it. ` +
      'If it existed before, it was dropped, or this server is a promoted standby that did not have it ' +
      '(failover slots: docs/production.md): events written while it was missing were not captured; ' +
      'replay them from the table if needed',
  );
}
