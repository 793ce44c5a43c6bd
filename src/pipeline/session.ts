import type { Logger } from 'pino';
import { Confirmer } from '../checkpoint/confirmer.js';
import type { HistoryCheck } from '../checkpoint/history-check.js';
import { InflightBudget } from '../checkpoint/inflight.js';
import type { PublishedTransaction } from '../checkpoint/published-history.js';
import { Watermark } from '../checkpoint/watermark.js';
import { type RelayConfig, readsMessages, readsTable } from '../config/relay-config.js';
import { DecodeError, type PoisonEventError } from '../errors.js';
import { sleep } from '../lifecycle/backoff.js';
import { AcknowledgementTally } from '../observability/acknowledgement-tally.js';
import { PoisonEvents, type PoisonSource } from '../outbox/dead-letter.js';
import type { OutboxLayout } from '../outbox/layout.js';
import { publishableRecord, Unpublishable } from '../outbox/mapper.js';
import type { OutboxRecord } from '../outbox/record.js';
import { formatLsn, type Lsn, maxLsn, ZERO_LSN } from '../replication/lsn.js';
import type { PgOutputMessage, RelationMessage } from '../replication/pgoutput/messages.js';
import { TupleView } from '../replication/pgoutput/tuple.js';
import { type Keepalive, type WalChunk, walStartOf } from '../replication/protocol.js';
import type { ReplicationStream, StreamOrigin } from '../replication/stream.js';
import type { Delivery } from '../sinks/delivery.js';
import type { RecordSink } from '../sinks/record-sink.js';
import { MessageEvents } from './message-events.js';
import { OutboxRelations, type OutboxTable } from './outbox-relations.js';
import { type OnAcknowledged, ReceivedTransaction } from './received-transaction.js';
import { ResentEvents } from './resent-events.js';

type DeadLetterFallback = Delivery['deadLetter'];

/** Where a row came from, for its dead-letter record; its LSN is formatted only if one is made. */
interface StreamedRow extends Omit<PoisonSource, 'lsn'> {
  readonly walStart: Lsn;
}

/** What a session reports to the relay that owns it. */
export interface SessionHooks {
  /** `commitTimeMs`: of the last transaction the confirmed LSN covers, if any this session received. */
  confirmed(lsn: Lsn, commitTimeMs: number | undefined): void;
  /** A run of events of one topic and one transaction, acknowledged by the broker. */
  acknowledged(topic: string, events: number, commitTimeMs: number): void;
  deadLettered(reason: string): void;
  /** An event the stream sent again that the broker already has (its history proven the same), left out. */
  skipped(): void;
  /** A transaction with events, every event of it acknowledged, in commit order. */
  published(transaction: PublishedTransaction): void;
}

/**
 * One replication connection's worth of work: decoded messages in, records to the sink,
 * acknowledgements into the watermark, the safe LSN out to the server. A session starts from the
 * position its server's slot has confirmed and confirms only what that server sent it since: a
 * position from memory or from another server could lie beyond this server's history. What the
 * broker already has is left out only as far as `history` proves it is this server's history.
 */
export class ReplicationSession {
  readonly inflight: InflightBudget;
  private readonly watermark: Watermark<ReceivedTransaction>;
  private readonly confirmer: Confirmer;
  private readonly tally: AcknowledgementTally;
  private received: Lsn = ZERO_LSN;
  private transaction: ReceivedTransaction | undefined;
  private readonly relations: OutboxRelations;
  private readonly poison: PoisonEvents;
  /** Events written as WAL messages (OUTBOX_SOURCE=messages or both), mapped like rows. */
  private readonly messages: MessageEvents | undefined;
  private draining = false;
  private ended = false;
  private readonly resent: ResentEvents;

  constructor(
    private readonly stream: ReplicationStream,
    private readonly sink: RecordSink,
    layout: OutboxLayout,
    private readonly config: RelayConfig,
    private readonly logger: Logger,
    hooks: SessionHooks,
    origin: StreamOrigin,
    private readonly history: HistoryCheck,
  ) {
    const startLsn = origin.slotConfirmed;
    this.relations = new OutboxRelations(layout, config.publication, origin.publishedTables, logger);
    this.poison = new PoisonEvents(config, logger, (reason) => hooks.deadLettered(reason));
    this.inflight = new InflightBudget(config.maxInflightEvents, config.maxInflightBytes);
    this.messages = readsMessages(config) ? new MessageEvents(layout, config) : undefined;
    this.resent = new ResentEvents(logger, () => hooks.skipped());
    this.watermark = new Watermark<ReceivedTransaction>(startLsn, ({ owner }) => {
      // Acknowledgements that arrive after the session ended are the next session's to find out.
      if (!this.ended) hooks.published(owner.published);
    });
    this.tally = new AcknowledgementTally((topic, events, commitTimeMs) =>
      hooks.acknowledged(topic, events, commitTimeMs),
    );
    this.confirmer = new Confirmer(
      (status) => stream.sendStatus(status),
      // Nothing left out is confirmed before the history is proven: the server resends it all.
      () => ({ safe: history.holding ? startLsn : this.watermark.safeLsn, received: this.received }),
      config.statusIntervalMs,
      (lsn) => hooks.confirmed(lsn, this.watermark.safeCommitTimeMs),
      startLsn,
    );
  }

  /** Streams until the stream ends (rejects) or `stopping` resolves (drains, confirms). */
  async run(stopping: Promise<void>, onStreaming: () => void): Promise<void> {
    const { ended } = await this.stream.start({
      onMessage: (message, wal) => this.onMessage(message, wal),
      onKeepalive: (keepalive) => this.onKeepalive(keepalive),
    });
    this.confirmer.start();
    onStreaming();
    try {
      await Promise.race([ended, this.sink.failed, stopping]);
    } catch (error) {
      // Nothing more is confirmed: the server resends every unconfirmed transaction.
      this.ended = true;
      this.confirmer.stop();
      this.sink.discardQueued();
      await this.stream.stop();
      throw error;
    }
    await this.drain();
    this.ended = true;
  }

  /** Graceful stop: read nothing more, wait for acknowledgements, confirm, close. */
  private async drain(): Promise<void> {
    this.draining = true;
    this.stream.pause();
    const timeout = new AbortController();
    const drained = await Promise.race([
      this.sink.whenIdle().then(() => true),
      sleep(this.config.drainTimeoutMs, timeout.signal).then(() => false),
    ]);
    timeout.abort();
    if (!drained) {
      this.logger.warn(
        { inflight: this.inflight.events },
        'drain timeout: unacknowledged events will be resent',
      );
    }
    this.confirmer.sendNow();
    this.confirmer.stop();
    this.tally.flush();
    await this.stream.stop();
  }

  private onMessage(message: PgOutputMessage, wal: WalChunk): void {
    switch (message.tag) {
      case 'insert':
        if (!this.transaction) return;
        if (message.relationOid !== this.relations.outbox?.relation.relationOid) {
          if (readsTable(this.config)) this.relations.refuseOther(message.relationOid);
          return;
        }
        if (this.resent.inBrokerAlready(this.transaction)) return;
        this.publishRow(this.transaction, this.relations.outbox, message.tuple, wal);
        return;
      case 'message':
        if (!this.messages || !this.transaction || !message.transactional) return;
        if (message.prefix !== this.config.messagePrefix) return;
        if (this.resent.inBrokerAlready(this.transaction)) return;
        this.publishMessage(this.transaction, this.messages, message.content, wal);
        return;
      case 'begin': {
        const identity = {
          commitLsn: message.finalLsn,
          xid: message.xid,
          commitTimeMicros: message.commitTimeMicros,
        };
        this.transaction = new ReceivedTransaction(
          this.watermark,
          identity.commitLsn,
          identity.xid,
          identity.commitTimeMicros,
          this.history.begin(identity),
          this.onAcknowledged,
        );
        return;
      }
      case 'commit':
        if (!this.transaction)
          throw new DecodeError('Commit without Begin', 0x43, formatLsn(walStartOf(wal)));
        this.received = maxLsn(this.received, message.endLsn);
        this.history.commit(this.transaction.events);
        this.watermark.commit(this.transaction.entry, message.endLsn);
        this.transaction = undefined;
        return;
      case 'relation':
        if (readsTable(this.config)) this.relations.described(message);
        return;
      case 'ignored':
        return;
    }
  }

  /** The commit time of the oldest transaction received and not yet acknowledged; undefined when none is. */
  get oldestPendingCommitTimeMs(): number | undefined {
    return this.watermark.oldestPendingCommitTimeMs;
  }

  /** Publishes the row's record, or its dead-letter record when it cannot be published. */
  private publishRow(
    transaction: ReceivedTransaction,
    outbox: OutboxTable,
    row: TupleView,
    wal: WalChunk,
  ): void {
    const record = publishableRecord(
      outbox.mapRow,
      row,
      transaction.commitTimeMs,
      this.config.maxRecordBytes,
    );
    if (record instanceof Unpublishable) {
      const context = this.rowContext(transaction, outbox.relation, row, wal);
      this.publish(transaction, this.deadLetter(record.error, context, record.topic), undefined);
      return;
    }
    // Without a use for it, a fallback would only keep the row's columns alive in flight.
    let deadLetter: DeadLetterFallback;
    if (this.sink.mayDeadLetter) {
      const context = this.rowContext(transaction, outbox.relation, row, wal);
      const topic = record.topic;
      deadLetter = (error) => this.deadLetter(error, context, topic);
    }
    this.publish(transaction, record, deadLetter);
  }

  /** An event written as a WAL message: its envelope becomes a row of the message relation. */
  private publishMessage(
    transaction: ReceivedTransaction,
    messages: MessageEvents,
    content: Buffer,
    wal: WalChunk,
  ): void {
    const row = messages.rowOf(content);
    if (row instanceof TupleView) {
      this.publishRow(transaction, messages, row, wal);
      return;
    }
    const context = this.rowContext(transaction, messages.relation, row.row, wal);
    this.publish(transaction, this.deadLetter(row.error, context, undefined), undefined);
  }

  /** Taken when the row arrives (a copy of its values): the row's view is reused for the next one. */
  private rowContext(
    transaction: ReceivedTransaction,
    relation: RelationMessage,
    row: TupleView,
    wal: WalChunk,
  ): StreamedRow {
    return {
      relation,
      values: row.values(),
      walStart: walStartOf(wal),
      xid: transaction.xid,
      commitTimeMs: transaction.commitTimeMs,
    };
  }

  /** Called here for the mapper's verdict, and by a later stage (Avro) for its own. */
  private deadLetter(
    error: PoisonEventError,
    row: StreamedRow,
    originalTopic: string | undefined,
  ): OutboxRecord {
    const lsn = formatLsn(row.walStart);
    return this.poison.deadLetter(error, { ...row, lsn }, originalTopic, {
      text: `the event at LSN ${lsn} (xid ${row.xid})`,
      fields: { lsn, xid: row.xid },
    });
  }

  private publish(
    transaction: ReceivedTransaction,
    record: OutboxRecord,
    deadLetter: DeadLetterFallback,
  ): void {
    this.watermark.addEvent(transaction.entry);
    this.inflight.add(record.sizeBytes);
    transaction.charge(record.sizeBytes);
    this.sink.enqueue({ record, receipt: transaction, ordinal: transaction.events, deadLetter });
    if (this.inflight.isFull) this.stream.pause();
  }

  /** One per session, shared by its receipts: acknowledgements allocate nothing per event. */
  private readonly onAcknowledged: OnAcknowledged = (transaction, topic) => {
    this.inflight.release(transaction.release());
    this.watermark.acknowledge(transaction.entry);
    this.tally.add(topic, transaction.commitTimeMs);
    if (!this.inflight.isFull && !this.draining) this.stream.resume();
  };

  private onKeepalive(keepalive: Keepalive): void {
    this.history.keepalive(keepalive.walEnd);
    this.received = maxLsn(this.received, keepalive.walEnd);
    this.watermark.serverIdleAt(keepalive.walEnd);
    if (keepalive.replyRequested) this.confirmer.sendNow();
  }
}
