import type { Logger } from 'pino';
import { formatLsn } from '../replication/lsn.js';
import type { StreamOrigin } from '../replication/stream.js';
import { sameTransaction, type TransactionIdentity } from '../replication/transaction-identity.js';
import { type Divergence, HistoryCheck } from './history-check.js';
import { eventsOf, PublishedHistory, type PublishedTransaction } from './published-history.js';
import type { StoredCheckpoint } from './stored-checkpoint.js';

/**
 * What a relay knows the broker has, across its sessions: what this process published
 * (at-least-once) or the Kafka checkpoint (exactly-once). Each session gets a HistoryCheck that
 * leaves it out only as far as the server's stream proves it is that server's history; what the
 * server turns out not to have is forgotten, reported, and never left out again.
 */
export class PublishedMemory {
  private readonly published = new PublishedHistory();
  /** Exactly-once: a checkpoint's transaction the server's history was found not to have. */
  private distrusted: TransactionIdentity | undefined;

  constructor(
    private readonly exactlyOnce: boolean,
    private readonly logger: Logger,
    private readonly onDiverged: (divergence: Divergence) => void,
  ) {}

  /** A transaction with events, every event of it acknowledged (at-least-once: the checkpoint says it otherwise). */
  record(transaction: PublishedTransaction): void {
    if (!this.exactlyOnce) this.published.record(transaction);
  }

  /** The check of a session streaming from `origin`, with the checkpoint Kafka holds (exactly-once). */
  check(origin: StreamOrigin, checkpoint: StoredCheckpoint | undefined): HistoryCheck {
    const serverEnd = formatLsn(origin.serverEnd);
    if (origin.slotConfirmed > origin.serverEnd) {
      this.logger.error(
        { confirmed: formatLsn(origin.slotConfirmed), serverEnd },
        "the slot's confirmed position lies beyond this server's own WAL (it was confirmed on another history, " +
          'by an older relay or another consumer): the server will not send transactions it commits below it. ' +
          'Publish them with `outbox-relay replay`, or recreate the slot (`outbox-relay init` after dropping it)',
      );
    }
    const remembered = this.remembered(checkpoint);
    const check = new HistoryCheck(
      remembered,
      { resumesAt: origin.slotConfirmed, serverEnd: origin.serverEnd },
      {
        proven: () => {
          const newest = remembered.at(-1);
          this.logger.info(
            { through: newest && describeTransaction(newest), serverEnd },
            "the server's history has what was published: events the broker has already were left out",
          );
        },
        diverged: (divergence) => this.diverged(divergence, serverEnd),
      },
    );
    if (check.diverged) this.forget(remembered.at(-1));
    return check;
  }

  private remembered(checkpoint: StoredCheckpoint | undefined): readonly PublishedTransaction[] {
    if (!this.exactlyOnce) return this.published.snapshot();
    if (!checkpoint) {
      this.logger.info('no checkpoint in Kafka: streaming from the slot');
      return [];
    }
    if ('unprovable' in checkpoint) {
      this.logger.warn(
        { checkpoint: checkpoint.commitLsn },
        'the Kafka checkpoint was written by an older relay and does not name its transaction, so it cannot be ' +
          "proven to belong to this server's history: ignored once (events since the slot's confirmed position are sent again)",
      );
      return [];
    }
    if (this.distrusted && sameTransaction(this.distrusted, checkpoint)) {
      this.logger.warn(
        { checkpoint: describeTransaction(checkpoint) },
        "the Kafka checkpoint belongs to another history than this server's: ignored",
      );
      return [];
    }
    this.logger.info(
      { checkpoint: describeTransaction(checkpoint) },
      'resuming after the last committed Kafka transaction, once the stream shows it',
    );
    return [checkpoint];
  }

  /** Told what was published from a history the server does not have: forget it, report it. */
  private diverged(divergence: Divergence, serverEnd: string): void {
    this.forget(divergence.missing.at(-1));
    const { missing, lastCommon } = divergence;
    const first = missing[0];
    const last = missing.at(-1);
    this.logger.error(
      {
        reason: divergence.reason,
        seenAt: formatLsn(divergence.seenAt),
        serverEnd,
        lastCommon: lastCommon && describeTransaction(lastCommon),
        missingTransactions: missing.length,
        missingEvents: eventsOf(missing),
        missingFrom: first && describeTransaction(first),
        missingTo: last && describeTransaction(last),
      },
      "the server's WAL history does not have transactions whose events are in Kafka (a restore, a point-in-time " +
        'recovery or a failover to a standby that lagged): their business changes were lost with that history. ' +
        "Nothing was skipped: every transaction of this server's history is sent. Reconcile the events listed",
    );
    this.onDiverged(divergence);
  }

  /** What was published from another history: none of it may be left out again. */
  private forget(newest: TransactionIdentity | undefined): void {
    this.published.clear();
    if (this.exactlyOnce && newest) this.distrusted = newest;
  }
}

function describeTransaction({ commitLsn, xid }: TransactionIdentity): string {
  return `xid ${xid} at ${formatLsn(commitLsn)}`;
}
