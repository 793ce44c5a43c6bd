import type pg from 'pg';
import { sleep } from './backoff.js';

/** The advisory lock's two int4 keys: the relay's, and the slot name's ($1). */
const LOCK_KEY = "hashtext('outbox-relay'), hashtext($1)";
/** How long a leader connection may take to answer before it counts as lost (a network partition hangs it). */
const HOLDS_TIMEOUT_MS = 10_000;

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
      `SELECT pg_try_advisory_lock(${LOCK_KEY}) AS locked`,
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

/**
 * Whether this connection still holds the slot's leader lock. False when the connection does not
 * answer within HOLDS_TIMEOUT_MS or fails: then the server may have ended the session and let
 * another relay take the lock.
 */
export async function holdsLeaderLock(client: pg.ClientBase, slot: string): Promise<boolean> {
  // A two-key advisory lock shows its keys in classid and objid, as oids, with objsubid 2.
  const query = client
    .query<{ held: boolean }>(
      `SELECT EXISTS (
         SELECT FROM pg_locks, (SELECT ${LOCK_KEY}) AS lock(class_key, object_key)
         WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND objsubid = 2
           AND classid = class_key::oid AND objid = object_key::oid
       ) AS held`,
      [slot],
    )
    .then(({ rows }) => rows[0]?.held === true)
    .catch(() => false);
  const wake = new AbortController();
  const held = await Promise.race([query, sleep(HOLDS_TIMEOUT_MS, wake.signal).then(() => false)]);
  wake.abort();
  return held;
}

/** The leader connection's fate: `lost` resolves when it dies, and whoever holds the lock next may stream. */
export interface Leadership {
  readonly lost: Promise<void>;
  isLost(): boolean;
}

export function watchLeadership(leader: pg.Client): Leadership {
  let gone = false;
  const lost = new Promise<void>((resolve) => {
    const mark = () => {
      gone = true;
      resolve();
    };
    leader.once('error', mark);
    leader.once('end', mark);
  });
  return { lost, isLost: () => gone };
}
