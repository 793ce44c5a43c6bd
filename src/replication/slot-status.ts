import type pg from 'pg';
import type { RelayConfig } from '../config/relay-config.js';
import { SetupError } from '../errors.js';
import { type Finding, failoverFindings, formatFindings, readFailoverFacts } from './failover.js';
import { formatLsn } from './lsn.js';
import { readSlotState, type SlotState, slotMissingError } from './slot-state.js';

/** The slot as `outbox-relay status --json` and the relay's /status report it. */
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
