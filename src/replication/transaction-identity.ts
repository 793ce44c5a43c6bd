import { type Lsn, ZERO_LSN } from './lsn.js';

/**
 * A transaction as the server that sent it identifies it. The commit LSN alone is not enough:
 * a restored copy, a point-in-time recovery or a promoted standby writes other transactions at
 * the same positions. The same xid committing at the same position at the same microsecond is.
 */
export interface TransactionIdentity {
  /** Begin's final LSN: where its commit record starts. */
  readonly commitLsn: Lsn;
  readonly xid: number;
  /** Microseconds since 2000-01-01, as the server sent it. */
  readonly commitTimeMicros: number;
}

/** For records that come from no transaction of the stream (a replay reads the table). */
export const NO_TRANSACTION: TransactionIdentity = { commitLsn: ZERO_LSN, xid: 0, commitTimeMicros: 0 };

export function sameTransaction(a: TransactionIdentity, b: TransactionIdentity): boolean {
  return a.commitLsn === b.commitLsn && a.xid === b.xid && a.commitTimeMicros === b.commitTimeMicros;
}
