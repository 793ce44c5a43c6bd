import type pg from 'pg';
import type { RelayConfig } from '../../config/relay-config.js';
import { SetupError } from '../../errors.js';
import {
  type Finding,
  failoverFindings,
  formatFindings,
  readFailoverFacts,
} from '../../replication/failover.js';
import { formatLsn } from '../../replication/lsn.js';
import { slotMissingError } from '../../replication/preflight.js';
import { readSlotState, type SlotState } from '../../replication/slot-state.js';

export interface StatusReport extends Omit<SlotState, 'confirmedFlushLsn' | 'currentWalLsn'> {
  readonly confirmedFlushLsn: string | null;
  readonly currentWalLsn: string;
  readonly streamingApplication: string | null;
  /** What failover of the slot needs, and what is missing (failover slots: PostgreSQL 17+). */
  readonly failover: readonly Finding[];
}

export async function slotStatus(client: pg.ClientBase, config: RelayConfig): Promise<StatusReport> {
  const state = await readSlotState(client, config.slot);
  if (!state) {
    const facts = await readFailoverFacts(client, config.slot);
    if (!facts.inRecovery) throw slotMissingError(config.slot);
    // A standby without the slot: what its slot synchronization lacks says why.
    const findings = formatFindings(failoverFindings(facts, config.slot, config.failoverSlot));
    throw new SetupError(
      `replication slot "${config.slot}" is not on this standby:\n  ${findings.join('\n  ')}`,
    );
  }
  const { rows } = await client.query<{ application_name: string }>(
    'SELECT application_name FROM pg_stat_replication WHERE pid = $1',
    [state.activePid],
  );
  return {
    ...state,
    confirmedFlushLsn: state.confirmedFlushLsn === null ? null : formatLsn(state.confirmedFlushLsn),
    currentWalLsn: formatLsn(state.currentWalLsn),
    streamingApplication: rows[0]?.application_name ?? null,
    failover: failoverFindings(
      await readFailoverFacts(client, config.slot),
      config.slot,
      config.failoverSlot,
    ),
  };
}

export function formatStatus(report: StatusReport): string {
  const streaming = report.active
    ? `yes (pid ${report.activePid}${report.streamingApplication ? `, ${report.streamingApplication}` : ''})`
    : 'no';
  const safe =
    report.safeWalSizeBytes === null
      ? 'unlimited (max_slot_wal_keep_size = -1)'
      : bytes(report.safeWalSizeBytes);
  return [
    `slot           ${report.slot} (${report.plugin}, database ${report.database})`,
    `streaming      ${streaming}`,
    `confirmed LSN  ${report.confirmedFlushLsn ?? 'none'}`,
    `current WAL    ${report.currentWalLsn}`,
    `lag            ${bytes(report.lagBytes)}`,
    `wal_status     ${report.walStatus ?? 'unknown'}`,
    `safe_wal_size  ${safe}`,
    'failover',
    ...formatFindings(report.failover).map((line) => `  ${line}`),
  ].join('\n');
}

function bytes(count: number): string {
  if (count < 1024) return `${count} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} (${count} bytes)`;
}
