import { type Lsn, maxLsn } from '../replication/lsn.js';

/** One received transaction, from its Begin until every event of it is acknowledged. */
export interface PendingTransaction {
  /** Its commit time (Begin's), for lag in seconds; 0 where unknown. */
  readonly commitTimeMs: number;
  pendingEvents: number;
  commitEndLsn: Lsn | undefined;
  next: PendingTransaction | undefined;
}

/**
 * The safe-LSN watermark: a FIFO of received transactions in commit order. The safe LSN is
 * the commit end LSN of the last transaction in the unbroken run, from the head, of
 * transactions that are committed and have no unacknowledged event. Only the safe LSN may
 * be confirmed to the server; it never moves backwards.
 */
export class Watermark {
  private head: PendingTransaction | undefined;
  private tail: PendingTransaction | undefined;
  private safe: Lsn;
  private safeCommitTime: number | undefined;

  constructor(startLsn: Lsn) {
    this.safe = startLsn;
  }

  get safeLsn(): Lsn {
    return this.safe;
  }

  /** The commit time of the last transaction the safe LSN covers, if any passed here. */
  get safeCommitTimeMs(): number | undefined {
    return this.safeCommitTime;
  }

  /** The commit time of the oldest transaction received and not yet safe; undefined when none is. */
  get oldestPendingCommitTimeMs(): number | undefined {
    return this.head?.commitTimeMs;
  }

  /** True when every received transaction is committed and acknowledged. */
  get isIdle(): boolean {
    return this.head === undefined;
  }

  begin(commitTimeMs = 0): PendingTransaction {
    const transaction: PendingTransaction = {
      commitTimeMs,
      pendingEvents: 0,
      commitEndLsn: undefined,
      next: undefined,
    };
    if (this.tail) this.tail.next = transaction;
    else this.head = transaction;
    this.tail = transaction;
    return transaction;
  }

  addEvent(transaction: PendingTransaction): void {
    if (transaction.commitEndLsn !== undefined) throw new Error('event added to a committed transaction');
    transaction.pendingEvents++;
  }

  acknowledge(transaction: PendingTransaction): void {
    if (transaction.pendingEvents <= 0) throw new Error('acknowledgement without a pending event');
    transaction.pendingEvents--;
    this.advance();
  }

  commit(transaction: PendingTransaction, commitEndLsn: Lsn): void {
    if (transaction.commitEndLsn !== undefined) throw new Error('transaction committed twice');
    transaction.commitEndLsn = commitEndLsn;
    this.advance();
  }

  /**
   * The server's position when it has nothing more for us (a keepalive's walEnd). When
   * nothing is pending, everything before it is safe: confirming it keeps an idle outbox
   * from pinning WAL that other tables write.
   */
  serverIdleAt(walEnd: Lsn): void {
    if (this.isIdle) this.safe = maxLsn(this.safe, walEnd);
  }

  private advance(): void {
    let head = this.head;
    while (head && head.commitEndLsn !== undefined && head.pendingEvents === 0) {
      this.safe = maxLsn(this.safe, head.commitEndLsn);
      this.safeCommitTime = head.commitTimeMs;
      head = head.next;
    }
    this.head = head;
    if (!head) this.tail = undefined;
  }
}
