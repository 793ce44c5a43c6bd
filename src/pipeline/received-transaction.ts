import type { PublishedTransaction } from '../checkpoint/published-history.js';
import type { PendingTransaction, Watermark } from '../checkpoint/watermark.js';
import type { Lsn } from '../replication/lsn.js';
import { pgMicrosToUnixMs } from '../replication/pg-time.js';
import type { Receipt } from '../sinks/delivery.js';

export type OnAcknowledged = (transaction: ReceivedTransaction, topic: string) => void;

/**
 * A transaction being received: its entry in the watermark, the in-flight bytes its events were
 * charged, and the receipt of its events.
 */
export class ReceivedTransaction implements Receipt {
  readonly entry: PendingTransaction<ReceivedTransaction>;
  private chargedBytes = 0;
  /** Outbox rows and messages received so far: the ordinal of the last one. */
  events = 0;

  constructor(
    watermark: Watermark<ReceivedTransaction>,
    readonly commitLsn: Lsn,
    readonly xid: number,
    readonly commitTimeMicros: number,
    /** How many of its first events the broker has already: they are left out. */
    readonly alreadyPublished: number,
    private readonly onAcknowledged: OnAcknowledged,
  ) {
    this.entry = watermark.begin(pgMicrosToUnixMs(commitTimeMicros), this);
  }

  get commitTimeMs(): number {
    return this.entry.commitTimeMs;
  }

  charge(bytes: number): void {
    this.chargedBytes += bytes;
  }

  /**
   * The bytes one acknowledged event gives back: an even share of what its transaction's unacknowledged
   * events were charged, and all of it with the last one. A sink need not keep each record's size.
   */
  release(): number {
    const share = Math.round(this.chargedBytes / Math.max(1, this.entry.pendingEvents));
    this.chargedBytes -= share;
    return share;
  }

  acknowledged(topic: string): void {
    this.onAcknowledged(this, topic);
  }

  get published(): PublishedTransaction {
    const { commitLsn, xid, commitTimeMicros, events } = this;
    return { commitLsn, xid, commitTimeMicros, events };
  }
}
