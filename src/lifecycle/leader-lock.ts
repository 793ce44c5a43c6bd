import type pg from 'pg';
import { sleep } from './backoff.js';

/**
 * One relay streams per slot: the holder of a session-level advisory lock keyed by the slot
 * name. Standbys try again every `pollMs`; when the leader's process dies its connection
 * closes, the server releases the lock, and a standby takes over.
 */
export async function acquireLeaderLock(
  client: pg.ClientBase,
  slot: string,
  options: { pollMs: number; signal: AbortSignal; onWaiting: () => void },
): Promise<boolean> {
  let announced = false;
  while (!options.signal.aborted) {
    const { rows } = await client.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock(hashtext('outbox-relay'), hashtext($1)) AS locked",
      [slot],
    );
    if (rows[0]?.locked) return true;
    if (!announced) {
      announced = true;
      options.onWaiting();
    }
    await sleep(options.pollMs, options.signal);
  }
  return false;
}
