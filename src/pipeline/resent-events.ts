import type { Logger } from 'pino';
import type { ReceivedTransaction } from './received-transaction.js';

/**
 * The events a reconnected stream sends again that the broker has already (as far as the
 * history check proved it): left out, counted, and logged once when the stream passes them.
 */
export class ResentEvents {
  private skipped = 0;
  private logged = false;

  constructor(
    private readonly logger: Logger,
    private readonly onSkipped: () => void,
  ) {}

  /**
   * Counts the transaction's next event, and says whether the broker has it already: each event
   * yields one record, an event or its dead letter, so its ordinal is its place among the records
   * the transaction's earlier sending produced.
   */
  inBrokerAlready(transaction: ReceivedTransaction): boolean {
    transaction.events++;
    if (transaction.events > transaction.alreadyPublished) {
      if (this.skipped > 0 && !this.logged) {
        this.logged = true;
        this.logger.info(
          { skipped: this.skipped },
          'past what Kafka has: events already there were left out',
        );
      }
      return false;
    }
    this.skipped++;
    this.onSkipped();
    return true;
  }
}
