import { hostOf, splitHosts } from '../config/postgres-url.js';
import { ReplicationError, SplitBrainError } from '../errors.js';
import { resolvePrimary } from './primary.js';

/** How often a session on a multi-host DATABASE_URL asks which host is the primary. */
export const PRIMARY_WATCH_MS = 5_000;

export interface PrimaryWatch {
  /** Rejects, retriably, when the session must leave its host; never resolves. */
  readonly moved: Promise<never>;
  /** Aborted at the same moment, for waits that take a signal (the leader lock). */
  readonly signal: AbortSignal;
  /** Ends the watch, and waits for a probe under way. */
  stop(): Promise<void>;
}

/**
 * While a session runs on `current`, one of DATABASE_URL's hosts, asks every `intervalMs` which
 * host is the primary (resolvePrimary), so that a relay that started on an old primary before a
 * standby was promoted beside it does not stream from it for ever. The session must leave when
 * another host proves to be the primary, or when writable hosts cannot be told apart; a host that
 * does not answer is left to the session's own connection to notice. A single-host URL is not watched.
 */
export function watchPrimary(
  databaseUrl: string,
  current: string,
  intervalMs = PRIMARY_WATCH_MS,
): PrimaryWatch {
  const abort = new AbortController();
  let reject: (error: Error) => void = () => undefined;
  const moved = new Promise<never>((_resolve, rejectMoved) => {
    reject = rejectMoved;
  });
  // Whoever races it handles it; until then (or after the session) nothing may be listening.
  moved.catch(() => undefined);
  if (splitHosts(databaseUrl).length === 1)
    return { moved, signal: abort.signal, stop: async () => undefined };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let probing: Promise<void> = Promise.resolve();
  const leave = (error: Error) => {
    if (stopped) return;
    stopped = true;
    abort.abort(error);
    reject(error);
  };
  const probe = async () => {
    try {
      const primary = await resolvePrimary(databaseUrl);
      if (primary !== current) {
        leave(
          new ReplicationError(
            `${hostOf(primary)} is the primary now, not ${hostOf(current)}: leaving ${hostOf(current)} to follow it`,
            undefined,
            true,
          ),
        );
      }
    } catch (error) {
      if (error instanceof SplitBrainError) leave(error);
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  const tick = () => {
    probing = probe();
  };
  timer = setTimeout(tick, intervalMs);
  return {
    moved,
    signal: abort.signal,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await probing;
    },
  };
}
