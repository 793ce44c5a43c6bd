import { queryRows } from './database.js';
import { waitFor } from './wait-for.js';

/** What a slot has confirmed against the WAL its own server has written: LSNs as PostgreSQL prints them. */
export interface SlotProgress {
  readonly confirmed: string | null;
  /** pg_current_wal_insert_lsn(): the end of this server's WAL. */
  readonly walEnd: string;
  /** A confirmed position this server never wrote: what it decodes below that is skipped. */
  readonly beyondWal: boolean;
}

export async function slotProgress(url: string, slot: string): Promise<SlotProgress> {
  const [row] = await queryRows<{ confirmed: string | null; wal_end: string; beyond: boolean | null }>(
    url,
    `SELECT confirmed_flush_lsn::text AS confirmed, pg_current_wal_insert_lsn()::text AS wal_end,
            confirmed_flush_lsn > pg_current_wal_insert_lsn() AS beyond
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  if (!row) throw new Error(`no replication slot "${slot}" on ${new URL(url).host}`);
  return { confirmed: row.confirmed, walEnd: row.wal_end, beyondWal: row.beyond === true };
}

/** The server's WAL end now: whatever commits later lies beyond it. */
export async function walEnd(url: string): Promise<string> {
  const [row] = await queryRows<{ lsn: string }>(url, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
  return row?.lsn ?? '0/0';
}

/**
 * Until the slot's confirmed_flush_lsn is at `lsn` or past it: the relay has confirmed everything
 * committed before that position (as it confirms only what Kafka acknowledged, it was delivered).
 */
export async function waitUntilConfirmed(url: string, slot: string, lsn: string, timeoutMs = 60_000) {
  await waitFor(
    async () => {
      const [row] = await queryRows<{ done: boolean }>(
        url,
        'SELECT confirmed_flush_lsn >= $2::pg_lsn AS done FROM pg_replication_slots WHERE slot_name = $1',
        [slot, lsn],
      );
      return row?.done === true;
    },
    { timeoutMs, message: `slot "${slot}" on ${new URL(url).host} to confirm ${lsn}` },
  );
}
