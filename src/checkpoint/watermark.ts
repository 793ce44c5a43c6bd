import { type Lsn, maxLsn } from '../replication/lsn.js';

/** One received transaction, from its Begin until every event of it is acknowledged. */
export interface PendingTransaction<T = undefined> {
  /** Its commit time (Begin's), for lag in seconds; 0 where unknown. */
  readonly commitTimeMs: number;
  /** The commit time of the last transaction this entry stands for (several event-less ones merge). */
  lastCommitTimeMs: number;
  /** Whose transaction this is: handed back by `onSafe`. */
  readonly owner: T;
  /** Events added, acknowledged or not. */
  events: number;
  pendingEvents: number;
  commitEndLsn: Lsn | undefined;
  next: PendingTransaction<T> | undefined;
}

/**
 * The safe-LSN watermark: a FIFO of received transactions in commit order. The safe LSN is
 * the commit end LSN of the last transaction in the unbroken run, from the head, of
 * transactions that are committed and have no unacknowledged event. Only the safe LSN may
 * be confirmed to the server; it never moves backwards.
 *
 * Committed transactions without events (other prefixes' messages, transactions whose events
 * were all in Kafka already) behind an unacknowledged one merge into one entry: only the last
 * commit LSN of such a run matters, and while Kafka is down the run could grow without bound.
 */
export class Watermark<T = undefined> {
  private head: PendingTransaction<T> | undefined;
  private tail: PendingTransaction<T> | undefined;
  /** The entry before the tail: where a committed event-less tail merges. */
  private beforeTail: PendingTransaction<T> | undefined;
  private safe: Lsn;
  private safeCommitTime: number | undefined;
  private entries = 0;

  constructor(
    startLsn: Lsn,
    /** Told of each transaction with events as it becomes safe, in commit order. */
    private readonly onSafe?: (transaction: PendingTransaction<T>) => void,
  ) {
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

  /** Entries held: at most about two per transaction with unacknowledged events. */
  get length(): number {
    return this.entries;
  }

  begin(commitTimeMs = 0, owner?: T): PendingTransaction<T> {
    const transaction: PendingTransaction<T> = {
      commitTimeMs,
      lastCommitTimeMs: commitTimeMs,
      owner: owner as T,
      events: 0,
      pendingEvents: 0,
      commitEndLsn: undefined,
      next: undefined,
    };
    if (this.tail) this.tail.next = transaction;
    else this.head = transaction;
    this.beforeTail = this.tail;
    this.tail = transaction;
    this.entries++;
    return transaction;
  }

  addEvent(transaction: PendingTransaction<T>): void {
    if (transaction.commitEndLsn !== undefined) throw new Error('event added to a committed transaction');
    transaction.events++;
    transaction.pendingEvents++;
  }

  acknowledge(transaction: PendingTransaction<T>): void {
    if (transaction.pendingEvents <= 0) throw new Error('acknowledgement without a pending event');
    transaction.pendingEvents--;
    this.advance();
  }

  commit(transaction: PendingTransaction<T>, commitEndLsn: Lsn): void {
    if (transaction.commitEndLsn !== undefined) throw new Error('transaction committed twice');
    transaction.commitEndLsn = commitEndLsn;
    if (!this.mergeEventlessTail(transaction)) this.advance();
  }

  /**
   * The server's position when it has nothing more for us (a keepalive's walEnd). When
   * nothing is pending, everything before it is safe: confirming it keeps an idle outbox
   * from pinning WAL that other tables write.
   */
  serverIdleAt(walEnd: Lsn): void {
    if (this.isIdle) this.safe = maxLsn(this.safe, walEnd);
  }

  /** A committed tail without events folds into an event-less committed entry before it. */
  private mergeEventlessTail(transaction: PendingTransaction<T>): boolean {
    const before = this.beforeTail;
    // With the tail at the head, the entry before it has become safe and left.
    if (
      transaction !== this.tail ||
      transaction === this.head ||
      transaction.events > 0 ||
      !before ||
      before.events > 0 ||
      before.commitEndLsn === undefined
    )
      return false;
    before.commitEndLsn = transaction.commitEndLsn;
    before.lastCommitTimeMs = transaction.lastCommitTimeMs;
    before.next = undefined;
    this.tail = before;
    // Merged again only into the same entry: the one before it may hold events.
    this.beforeTail = undefined;
    this.entries--;
    return true;
  }

  private advance(): void {
    let head = this.head;
    while (head && head.commitEndLsn !== undefined && head.pendingEvents === 0) {
      this.safe = maxLsn(this.safe, head.commitEndLsn);
      this.safeCommitTime = head.lastCommitTimeMs;
      if (head.events > 0) this.onSafe?.(head);
      head = head.next;
      this.entries--;
    }
    this.head = head;
    if (!head) {
      this.tail = undefined;
      this.beforeTail = undefined;
    }
  }
}
