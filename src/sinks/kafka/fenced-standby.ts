import type pg from 'pg';
import type { Logger } from 'pino';
import { sleep } from '../../lifecycle/backoff.js';
import { holdsLeaderLock, type Leadership } from '../../lifecycle/leader-lock.js';

/** How long a relay fenced by a relay of another stream stands by before it connects its producer again. */
const FENCED_STANDBY_MS = 5 * 60_000;

/**
 * Another producer of this relay's transactional id fenced its own. A relay that lost its leader
 * lock was replaced by one of its slot: `error` is thrown, and the next session stands by on the
 * lock. One that still holds it shares its id with a relay of another stream
 * (OUTBOX_TRANSACTIONAL_ID set alike, or an older default): connecting again would fence that
 * one, which would fence back, for ever. It stands by instead, keeping the lock so that no
 * replica of its slot fences back either, and tries again after FENCED_STANDBY_MS (or when
 * stopped, or the lock is lost): an id used only for a while (a test relay pointed at production)
 * then stops this stream no longer than that, while two misconfigured relays take turns instead
 * of aborting each other's every transaction.
 */
export async function standByFenced(
  error: unknown,
  leader: pg.Client,
  leadership: Leadership,
  stopping: AbortSignal,
  relay: { slot: string; transactionalId: string | undefined; logger: Logger; onStandBy(): void },
): Promise<void> {
  if (leadership.isLost() || !(await holdsLeaderLock(leader, relay.slot))) throw error;
  relay.onStandBy();
  relay.logger.error(
    { err: error, transactionalId: relay.transactionalId, retryInMs: FENCED_STANDBY_MS },
    `Kafka fenced this relay's transactional id ${relay.transactionalId} while it still holds the leader lock of slot ` +
      `${relay.slot}: a relay of another database or slot uses the same id. Standing by instead of fencing it back; ` +
      'give each relay its own OUTBOX_TRANSACTIONAL_ID, or leave it empty for the default, unique per server, database and slot',
  );
  const wake = new AbortController();
  const wakeUp = () => wake.abort();
  stopping.addEventListener('abort', wakeUp, { once: true });
  void leadership.lost.then(wakeUp);
  await sleep(FENCED_STANDBY_MS, wake.signal);
  stopping.removeEventListener('abort', wakeUp);
}
