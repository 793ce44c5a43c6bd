import { sameTransaction, type TransactionIdentity } from '../replication/transaction-identity.js';

/** A transaction whose first `events` events the broker has acknowledged. */
export interface PublishedTransaction extends TransactionIdentity {
  readonly events: number;
}

export function eventsOf(transactions: readonly PublishedTransaction[]): number {
  let events = 0;
  for (const transaction of transactions) events += transaction.events;
  return events;
}

/** How many transactions are remembered: what a reconnect can skip, and name if they are gone. */
const DEFAULT_CAPACITY = 4_096;

/**
 * The last transactions this process saw acknowledged, in commit order, across sessions. After a
 * reconnect the server resends from its slot's confirmed position, which can lag far behind
 * (PostgreSQL saves it at checkpoints): what is remembered here need not be sent again once the
 * server's stream proves it has the same history (HistoryCheck).
 */
export class PublishedHistory {
  private entries: PublishedTransaction[] = [];

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** A transaction acknowledged up to its `events`-th event; a later record of the same one replaces it. */
  record(transaction: PublishedTransaction): void {
    const last = this.entries.at(-1);
    if (last && last.commitLsn >= transaction.commitLsn) {
      if (sameTransaction(last, transaction)) {
        this.entries[this.entries.length - 1] = transaction;
        return;
      }
      // Another history's transactions cannot follow these: forgetting costs duplicates, not events.
      this.entries = [];
    }
    this.entries.push(transaction);
    // Trimmed in steps, so that a record costs O(1) on average.
    if (this.entries.length >= this.capacity * 2) this.entries = this.entries.slice(-this.capacity);
  }

  /** What is remembered, oldest first. */
  snapshot(): readonly PublishedTransaction[] {
    return this.entries.slice(-this.capacity);
  }

  /** Forgets everything: the server's history has none of it, or not all of it. */
  clear(): void {
    this.entries = [];
  }
}
