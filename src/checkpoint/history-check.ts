import { ReplicationError } from '../errors.js';
import { formatLsn, type Lsn } from '../replication/lsn.js';
import { sameTransaction, type TransactionIdentity } from '../replication/transaction-identity.js';
import type { PublishedTransaction } from './published-history.js';

/** Where a new session's stream starts and what the server had, both read on the stream's own connection. */
export interface StreamStart {
  /** The slot's confirmed_flush_lsn: the server sends every transaction whose commit record starts here or later. */
  readonly resumesAt: Lsn;
  /** The server's WAL flush position when the stream connected: its history up to here is all in its WAL. */
  readonly serverEnd: Lsn;
}

/** Remembered as published, and not in the server's history. */
export interface Divergence {
  /** The stream position that showed it. */
  readonly seenAt: Lsn;
  readonly reason: string;
  /** The last remembered transaction the stream showed again, if any. */
  readonly lastCommon: PublishedTransaction | undefined;
  /** Published from a history the server does not have: its events are in the broker, not in the database. */
  readonly missing: readonly PublishedTransaction[];
}

export interface HistoryCheckHooks {
  /** The server's stream showed the newest remembered transaction: everything remembered is in its history. */
  proven(): void;
  diverged(divergence: Divergence): void;
}

/** The stream was ahead of any proof and must start over without what was remembered. */
export class HistoryDivergedError extends ReplicationError {
  constructor(readonly divergence: Divergence) {
    super(
      `the server's history does not have what this relay published (${divergence.reason}); ` +
        "streaming again from the slot's confirmed position without skipping anything (duplicates, no loss)",
      undefined,
      true,
    );
  }
}

/** A transaction's events are all to be left out (its place in the history is not proven yet). */
export const ALL_EVENTS = Number.POSITIVE_INFINITY;

type Mode = 'proving' | 'tracing' | 'settled';

/**
 * Decides, transaction by transaction, whether what a relay remembers publishing (its own memory,
 * or a Kafka checkpoint) belongs to the history of the server it streams from now. A position is
 * meaningless on another history: a restored copy, a point-in-time recovery or a promoted standby
 * that lagged writes other transactions at the same LSNs.
 *
 * - proving: the newest remembered transaction lies in the server's WAL. Remembered transactions
 *   the stream shows again (same LSN, xid and commit time) are left out, and so is everything
 *   before the newest one is shown, while nothing is confirmed (`holding`). When the stream shows
 *   it, the histories are one up to there. Any other evidence (a remembered transaction passed
 *   without being shown, another transaction in its place, an unremembered one with events among
 *   them) throws HistoryDivergedError: the session starts over and sends everything.
 * - tracing: the newest remembered transaction lies beyond the server's WAL, so the histories
 *   differ: nothing is left out, and the stream is compared only to say what was lost.
 *
 * Either way, what was published from the other history is reported, never hidden.
 */
export class HistoryCheck {
  private readonly remembered: readonly PublishedTransaction[];
  private mode: Mode;
  /** The first remembered transaction the stream has not shown yet. */
  private cursor = 0;
  private lastCommon: PublishedTransaction | undefined;
  /** The transaction being received: among the remembered ones, yet not one of them. */
  private unlisted: TransactionIdentity | undefined;

  constructor(
    remembered: readonly PublishedTransaction[],
    private readonly start: StreamStart,
    private readonly hooks: HistoryCheckHooks,
  ) {
    // The server does not send again what its slot has confirmed: those need no proof.
    this.remembered = remembered.filter((transaction) => transaction.commitLsn >= start.resumesAt);
    const newest = this.remembered.at(-1);
    if (!newest) this.mode = 'settled';
    else this.mode = newest.commitLsn >= start.serverEnd ? 'tracing' : 'proving';
  }

  /** While true nothing may be confirmed: the transactions left out are not proven to be in the broker. */
  get holding(): boolean {
    return this.mode === 'proving';
  }

  /** Whether the histories are known to differ (what was lost is still being traced). */
  get diverged(): boolean {
    return this.mode === 'tracing';
  }

  /** At a transaction's Begin: how many of its first events the broker has already (ALL_EVENTS: unproven, leave out). */
  begin(transaction: TransactionIdentity): number {
    this.unlisted = undefined;
    if (this.mode === 'settled') return 0;
    if (!this.passTo(transaction.commitLsn)) return 0;
    const next = this.remembered[this.cursor];
    if (next?.commitLsn === transaction.commitLsn) {
      if (!sameTransaction(next, transaction)) {
        this.diverge(
          transaction.commitLsn,
          `xid ${transaction.xid} committed at ${formatLsn(transaction.commitLsn)}, where xid ${next.xid} committed when it was published`,
        );
        return 0;
      }
      this.cursor++;
      this.lastCommon = next;
      if (this.cursor === this.remembered.length) {
        this.mode = 'settled';
        this.hooks.proven();
      }
      return this.holding || this.mode === 'settled' ? next.events : 0;
    }
    // Among the remembered transactions (not before the first): it should be one of them.
    if (this.cursor > 0) this.unlisted = transaction;
    return this.mode === 'proving' ? ALL_EVENTS : 0;
  }

  /** At the transaction's Commit, with the number of events it carried. */
  commit(events: number): void {
    const unlisted = this.unlisted;
    this.unlisted = undefined;
    if (!unlisted || events === 0 || this.mode === 'settled') return;
    this.diverge(
      unlisted.commitLsn,
      `xid ${unlisted.xid} committed at ${formatLsn(unlisted.commitLsn)} with ${events} events, among transactions published without it`,
    );
  }

  /** The server's position with nothing more to send before it (a record starting there is still to come). */
  keepalive(walEnd: Lsn): void {
    if (this.mode === 'settled') return;
    if (!this.passTo(walEnd)) return;
    if (this.mode === 'tracing' && walEnd >= this.start.serverEnd) {
      this.diverge(
        walEnd,
        `transactions published beyond ${formatLsn(this.start.serverEnd)}, the end of the server's WAL`,
      );
    }
  }

  /** Whether the stream at `position` has passed no remembered transaction without showing it; diverges otherwise. */
  private passTo(position: Lsn): boolean {
    const next = this.remembered[this.cursor];
    if (!next || next.commitLsn >= position) return true;
    this.diverge(
      position,
      `xid ${next.xid} committed at ${formatLsn(next.commitLsn)} was published, and the server's stream passed that position without it`,
    );
    return false;
  }

  private diverge(seenAt: Lsn, reason: string): void {
    const proving = this.mode === 'proving';
    this.mode = 'settled';
    const divergence: Divergence = {
      seenAt,
      reason,
      lastCommon: this.lastCommon,
      missing: this.remembered.slice(this.cursor),
    };
    this.hooks.diverged(divergence);
    if (proving) throw new HistoryDivergedError(divergence);
  }
}
