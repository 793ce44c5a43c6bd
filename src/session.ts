import type { Logger } from 'pino';
import { Confirmer } from './checkpoint/confirmer.js';
import type { HistoryCheck } from './checkpoint/history-check.js';
import { InflightBudget } from './checkpoint/inflight.js';
import type { PublishedTransaction } from './checkpoint/published-history.js';
import { type PendingTransaction, Watermark } from './checkpoint/watermark.js';
import { type RelayConfig, readsMessages, readsTable } from './config/relay-config.js';
import { DecodeError, PoisonEventError, SetupError } from './errors.js';
import { sleep } from './lifecycle/backoff.js';
import { AcknowledgementTally } from './observability/acknowledgement-tally.js';
import { deadLetterRecord } from './outbox/dead-letter.js';
import type { OutboxLayout } from './outbox/layout.js';
import { compileRowMapper, isOutboxRelation, type RowMapper } from './outbox/mapper.js';
import { compileEnvelopeReader, type EnvelopeReader, messageRelation } from './outbox/message-envelope.js';
import { assertPublishableSize, type OutboxRecord } from './outbox/record.js';
import { formatLsn, type Lsn, maxLsn, ZERO_LSN } from './replication/lsn.js';
import { pgMicrosToUnixMs } from './replication/pg-time.js';
import type { PgOutputMessage, RelationMessage } from './replication/pgoutput/messages.js';
import type { TupleValue } from './replication/pgoutput/tuple.js';
import { TupleView } from './replication/pgoutput/tuple.js';
import { type Keepalive, type WalChunk, walStartOf } from './replication/protocol.js';
import type { ReplicationStream, StreamOrigin } from './replication/stream.js';
import type { Delivery, Receipt } from './sinks/delivery.js';
import type { RecordSink } from './sinks/record-sink.js';

type DeadLetterFallback = Delivery['deadLetter'];

/** Where a row came from, for its dead-letter record. */
interface RowContext {
  readonly relation: RelationMessage;
  readonly values: readonly TupleValue[];
  readonly lsn: Lsn;
  readonly xid: number;
  readonly commitTimeMs: number;
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

type OnAcknowledged = (transaction: ReceivedTransaction, topic: string) => void;

/** The outbox table as the latest Relation message describes it. */
interface OutboxTable {
  readonly relation: RelationMessage;
  readonly mapRow: RowMapper;
}

/** WAL messages as a virtual outbox table: its relation, its row mapper, and how a message becomes a row. */
interface MessageSource extends OutboxTable {
  readonly readEnvelope: EnvelopeReader;
}

/**
 * A transaction being received: its entry in the watermark, the in-flight bytes its events were
 * charged, and the receipt of its events.
 */
class ReceivedTransaction implements Receipt {
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
  private outbox: OutboxTable | undefined;
  /** Events written as WAL messages (OUTBOX_SOURCE=messages or both), mapped like rows. */
  private readonly messages: MessageSource | undefined;
  private draining = false;
  private ended = false;
  /** The outbox table's columns as last logged: the server resends its Relation message after cache invalidations. */
  private loggedColumns = '';
  /** Relations the publication sends besides the outbox, by oid: named if a row of theirs arrives. */
  private readonly otherRelations = new Map<number, string>();
  /** Tables the publication published when the session started (a shared publication): their rows are not events. */
  private readonly publishedTables: ReadonlySet<string>;
  private skippedEvents = 0;
  private loggedSkipped = false;

  constructor(
    private readonly stream: ReplicationStream,
    private readonly sink: RecordSink,
    private readonly layout: OutboxLayout,
    private readonly config: RelayConfig,
    private readonly logger: Logger,
    private readonly hooks: SessionHooks,
    origin: StreamOrigin,
    private readonly history: HistoryCheck,
  ) {
    const startLsn = origin.slotConfirmed;
    this.publishedTables = origin.publishedTables;
    this.inflight = new InflightBudget(config.maxInflightEvents, config.maxInflightBytes);
    if (readsMessages(config)) {
      const relation = messageRelation(config);
      this.messages = {
        relation,
        mapRow: compileRowMapper(layout, relation),
        readEnvelope: compileEnvelopeReader(relation, config),
      };
    }
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
        if (message.relationOid !== this.outbox?.relation.relationOid) {
          if (readsTable(this.config)) this.refuseOtherRelation(message.relationOid);
          return;
        }
        if (this.inKafkaAlready(this.transaction)) return;
        this.publishRow(this.transaction, this.outbox, message.tuple, wal);
        return;
      case 'message':
        if (!this.messages || !this.transaction || !message.transactional) return;
        if (message.prefix !== this.config.messagePrefix) return;
        if (this.inKafkaAlready(this.transaction)) return;
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
        if (!readsTable(this.config)) return;
        if (!isOutboxRelation(this.layout, message)) {
          this.otherRelations.set(message.relationOid, `${message.schema}.${message.table}`);
          return;
        }
        this.outbox = { relation: message, mapRow: compileRowMapper(this.layout, message) };
        this.logLayoutIfChanged(message);
        return;
      case 'ignored':
        return;
    }
  }

  /**
   * Counts the transaction's next event, and says whether the broker has it already: each event
   * yields one record, an event or its dead letter, so its ordinal is its place among the records
   * the transaction's earlier sending produced.
   */
  private inKafkaAlready(transaction: ReceivedTransaction): boolean {
    transaction.events++;
    if (transaction.events > transaction.alreadyPublished) {
      if (this.skippedEvents > 0 && !this.loggedSkipped) {
        this.loggedSkipped = true;
        this.logger.info(
          { skipped: this.skippedEvents },
          'past what Kafka has: events already there were left out',
        );
      }
      return false;
    }
    this.skippedEvents++;
    this.hooks.skipped();
    return true;
  }

  /**
   * A row of a relation that is not the outbox (reading the table). Another table of a shared
   * publication is not an event; any other relation is one the publication did not publish when
   * the session started: a partition after publish_via_partition_root was turned off, or a table
   * added while running. Confirming past it unpublished would lose it if it is an event.
   */
  private refuseOtherRelation(relationOid: number): void {
    const relation = this.otherRelations.get(relationOid) ?? `relation ${relationOid}`;
    if (this.publishedTables.has(relation)) return;
    throw new SetupError(
      `the publication "${this.config.publication}" sent a row of ${relation}, which is not the outbox table ` +
        `${this.layout.schema}.${this.layout.table} and was not published when this session started; nothing past it is ` +
        `confirmed. If it is a partition of the outbox, set publish_via_partition_root = true on the publication ` +
        `(\`outbox-relay init\` does); if it is a table added to a shared publication, start the relay again`,
    );
  }

  /** The commit time of the oldest transaction received and not yet acknowledged; undefined when none is. */
  get oldestPendingCommitTimeMs(): number | undefined {
    return this.watermark.oldestPendingCommitTimeMs;
  }

  private logLayoutIfChanged(relation: RelationMessage): void {
    const columns = relation.columns.map((column) => column.name);
    const described = `${relation.relationOid}:${columns.join(',')}`;
    if (described === this.loggedColumns) return;
    this.loggedColumns = described;
    this.logger.info({ columns }, 'outbox table layout received');
  }

  /** Publishes the row's record, or its dead-letter record when it cannot be published. */
  private publishRow(
    transaction: ReceivedTransaction,
    outbox: OutboxTable,
    row: TupleView,
    wal: WalChunk,
  ): void {
    let record: OutboxRecord | undefined;
    try {
      record = outbox.mapRow(row, transaction.commitTimeMs);
      assertPublishableSize(record, this.config.maxRecordBytes);
    } catch (error) {
      if (!(error instanceof PoisonEventError)) throw error;
      const context = this.rowContext(transaction, outbox.relation, row, wal);
      this.publish(transaction, this.deadLetter(error, context, record?.topic), undefined);
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
    messages: MessageSource,
    content: Buffer,
    wal: WalChunk,
  ): void {
    let values: TupleValue[];
    try {
      values = messages.readEnvelope(content);
    } catch (error) {
      if (!(error instanceof PoisonEventError)) throw error;
      // The dead-letter record carries the message's content as it came, in the payload column.
      const raw = messages.relation.columns.map(({ name }) =>
        name === this.config.payloadColumn ? Buffer.from(content) : null,
      );
      const context = this.rowContext(transaction, messages.relation, TupleView.of(raw), wal);
      this.publish(transaction, this.deadLetter(error, context, undefined), undefined);
      return;
    }
    this.publishRow(transaction, messages, TupleView.of(values), wal);
  }

  /** Taken when the row arrives (a copy of its values): the row's view is reused for the next one. */
  private rowContext(
    transaction: ReceivedTransaction,
    relation: RelationMessage,
    row: TupleView,
    wal: WalChunk,
  ): RowContext {
    return {
      relation,
      values: row.values(),
      lsn: walStartOf(wal),
      xid: transaction.xid,
      commitTimeMs: transaction.commitTimeMs,
    };
  }

  /**
   * The dead-letter record of a poison event (OUTBOX_ON_POISON=dlq), or a fatal error (=stop).
   * Called here for the mapper's verdict, and by a later stage (Avro) for its own.
   */
  private deadLetter(
    error: PoisonEventError,
    row: RowContext,
    originalTopic: string | undefined,
  ): OutboxRecord {
    const lsn = formatLsn(row.lsn);
    if (this.config.onPoison === 'stop') {
      throw new PoisonEventError(
        `poison event at LSN ${lsn} (xid ${row.xid}): ${error.message}. Fix the row's data, or set OUTBOX_ON_POISON=dlq`,
        error.reason,
      );
    }
    this.logger.warn({ reason: error.reason, lsn, xid: row.xid, topic: originalTopic }, error.message);
    this.hooks.deadLettered(error.reason);
    return deadLetterRecord(
      this.config.dlqTopic,
      { ...row, reason: error.reason, error: error.message, originalTopic, lsn },
      this.config.maxRecordBytes,
    );
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
