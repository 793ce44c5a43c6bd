import type { Logger } from 'pino';
import { Confirmer } from './checkpoint/confirmer.js';
import { InflightBudget } from './checkpoint/inflight.js';
import { type PendingTransaction, Watermark } from './checkpoint/watermark.js';
import { redactConfig } from './config/redact.js';
import type { RelayConfig } from './config/relay-config.js';
import { DecodeError, errorMessage, isRetriable, KafkaSendError, RelayError } from './errors.js';
import { createKafka } from './kafka/client.js';
import { KafkajsProducer } from './kafka/producer.js';
import { classifyKafkaError } from './kafka/send-errors.js';
import { KafkaSink } from './kafka/sink.js';
import { fullJitterDelay, sleep } from './lifecycle/backoff.js';
import { TypedEmitter } from './lifecycle/typed-emitter.js';
import { layoutFromConfig, type OutboxLayout } from './outbox/layout.js';
import { compileRowMapper, isOutboxRelation, type RowMapper } from './outbox/mapper.js';
import type { RelayEvents, RelayState } from './relay-events.js';
import { formatLsn, type Lsn, maxLsn, ZERO_LSN } from './replication/lsn.js';
import { connectMetadata } from './replication/metadata-client.js';
import { pgMicrosToUnixMs } from './replication/pg-time.js';
import type { PgOutputMessage } from './replication/pgoutput/messages.js';
import { preflight } from './replication/preflight.js';
import type { Keepalive, WalData } from './replication/protocol.js';
import { ReplicationStream } from './replication/stream.js';

const APPLICATION_NAME = 'outbox-relay';
const RECONNECT_BASE_MS = 500;

/** Per replication session: what was received and what is still owed to Kafka. */
interface Session {
  readonly stream: ReplicationStream;
  readonly watermark: Watermark;
  readonly confirmer: Confirmer;
  readonly inflight: InflightBudget;
  received: Lsn;
  transaction: PendingTransaction | undefined;
  commitTimeMs: number;
  outboxRelationOid: number | undefined;
  mapRow: RowMapper | undefined;
}

/**
 * The pipeline: replication stream -> mapper -> Kafka sink -> watermark -> confirmer.
 * `start()` checks everything and begins streaming; `stop()` drains and confirms.
 * Transient failures (PostgreSQL restarts, Kafka outages) are retried; anything else
 * ends the relay with `done` rejected, having confirmed nothing it should not.
 */
export class OutboxRelay extends TypedEmitter<RelayEvents> {
  private readonly layout: OutboxLayout;
  private readonly stopping = new AbortController();
  private sink: KafkaSink | undefined;
  private producer: KafkajsProducer | undefined;
  private session: Session | undefined;
  private currentState: RelayState = 'starting';
  private confirmedLsn: Lsn = ZERO_LSN;
  private started: Promise<void> | undefined;
  private finished: Promise<void> | undefined;
  private stopRequested: () => void = () => undefined;
  private readonly stopSignal: Promise<void>;

  constructor(
    private readonly config: RelayConfig,
    private readonly logger: Logger,
  ) {
    super();
    this.layout = layoutFromConfig(config);
    this.stopSignal = new Promise((resolve) => {
      this.stopRequested = resolve;
    });
  }

  get state(): RelayState {
    return this.currentState;
  }

  get inflightEvents(): number {
    return this.session?.inflight.events ?? 0;
  }

  get inflightBytes(): number {
    return this.session?.inflight.bytes ?? 0;
  }

  /** The last LSN confirmed to the server in this process. */
  get confirmed(): Lsn {
    return this.confirmedLsn;
  }

  /** Settles when the relay has stopped: fulfilled after stop(), rejected on a fatal error. */
  get done(): Promise<void> {
    if (!this.finished) throw new Error('OutboxRelay.done read before start()');
    return this.finished;
  }

  /** Checks the database and Kafka, then streams. Resolves once streaming; idempotent. */
  start(): Promise<void> {
    this.started ??= this.startOnce();
    return this.started;
  }

  /** Stops reading, waits for in-flight events (bounded by the drain timeout), confirms, closes. Idempotent. */
  async stop(): Promise<void> {
    if (!this.finished) return;
    this.stopping.abort();
    this.stopRequested();
    await this.finished.catch(() => undefined);
  }

  private async startOnce(): Promise<void> {
    this.logger.info({ config: redactConfig(this.config) }, 'starting outbox-relay');
    const metadata = await connectMetadata(this.config.databaseUrl, APPLICATION_NAME);
    try {
      const slot = await preflight(metadata, this.config, this.layout);
      this.confirmedLsn = slot.confirmedFlushLsn ?? ZERO_LSN;
    } finally {
      await metadata.end().catch(() => undefined);
    }
    await this.connectKafka();
    let streaming: () => void = () => undefined;
    const firstSession = new Promise<void>((resolve) => {
      streaming = resolve;
    });
    this.finished = this.runSessions(streaming);
    await Promise.race([firstSession, this.finished]);
  }

  private async connectKafka(): Promise<void> {
    this.producer = new KafkajsProducer(createKafka(this.config, this.logger), this.config.kafkaCompression);
    try {
      await this.producer.connect();
    } catch (error) {
      const failure = classifyKafkaError(error);
      throw new KafkaSendError(
        `cannot reach Kafka at KAFKA_BROKERS=${this.config.kafkaBrokers.join(',')}: ${failure.message}. ` +
          'Check the broker addresses and that the brokers run.',
        failure.brokerErrorType,
        false,
        { cause: error },
      );
    }
    this.sink = new KafkaSink(this.producer, this.config, {
      batchSent: (events, bytes, seconds) => this.emit('batch:sent', events, bytes, seconds),
      sendFailed: (error, attempt, delayMs) => {
        if (attempt === 0) this.logger.warn({ err: error }, 'Kafka unavailable; retrying with backoff');
        this.setState('kafka-unavailable');
        this.emit('batch:failed', error, attempt, delayMs);
      },
      sendRecovered: () => {
        this.logger.info('Kafka reachable again');
        this.setState('streaming');
      },
    });
  }

  /** Runs replication sessions until stopped; reconnects after retriable failures. */
  private async runSessions(onFirstStreaming: () => void): Promise<void> {
    const sink = this.sink as KafkaSink;
    try {
      for (let attempt = 0; !this.stopping.signal.aborted; ) {
        try {
          await this.runSession(sink, () => {
            attempt = 0;
            onFirstStreaming();
          });
        } catch (error) {
          const failure = error instanceof RelayError ? error : undefined;
          const retry = isRetriable(error) && !this.stopping.signal.aborted;
          if (failure) this.emit('replication:error', failure, retry);
          if (!retry) throw error;
          const delay = fullJitterDelay(attempt++, RECONNECT_BASE_MS, this.config.retryMaxMs);
          this.logger.warn({ err: error, delayMs: delay }, 'replication interrupted; reconnecting');
          this.setState('backing-off');
          await sleep(delay, this.stopping.signal);
        }
      }
      this.setState('stopped');
    } catch (error) {
      this.setState('failed');
      this.logger.error({ err: error }, `outbox-relay stopped: ${errorMessage(error)}`);
      throw error;
    } finally {
      sink.close();
      await this.producer?.disconnect().catch(() => undefined);
    }
  }

  private async runSession(sink: KafkaSink, onStreaming: () => void): Promise<void> {
    this.setState('connecting');
    const stream = new ReplicationStream({
      connectionString: this.config.databaseUrl,
      slot: this.config.slot,
      publication: this.config.publication,
      applicationName: APPLICATION_NAME,
    });
    const watermark = new Watermark(this.confirmedLsn);
    const confirmer = new Confirmer(
      (status) => stream.sendStatus(status),
      () => ({ safe: watermark.safeLsn, received: this.session?.received ?? ZERO_LSN }),
      this.config.statusIntervalMs,
      (lsn) => {
        this.confirmedLsn = lsn;
        this.emit('checkpoint:confirmed', lsn);
      },
      this.confirmedLsn,
    );
    const session: Session = {
      stream,
      watermark,
      confirmer,
      inflight: new InflightBudget(this.config.maxInflightEvents, this.config.maxInflightBytes),
      received: ZERO_LSN,
      transaction: undefined,
      commitTimeMs: 0,
      outboxRelationOid: undefined,
      mapRow: undefined,
    };
    this.session = session;
    const { ended } = await stream.start({
      onMessage: (message, wal) => this.onMessage(session, sink, message, wal),
      onKeepalive: (keepalive) => this.onKeepalive(session, keepalive),
    });
    confirmer.start();
    this.setState('streaming');
    this.logger.info({ slot: this.config.slot, from: formatLsn(this.confirmedLsn) }, 'streaming');
    onStreaming();
    try {
      await Promise.race([ended, sink.failed, this.stopSignal]);
      await this.drain(session, sink);
    } catch (error) {
      // Nothing more is confirmed: the server resends every unconfirmed transaction.
      confirmer.stop();
      sink.discardQueued();
      await stream.stop();
      throw error;
    }
  }

  /** Graceful stop: read nothing more, wait for acknowledgements, confirm, close. */
  private async drain(session: Session, sink: KafkaSink): Promise<void> {
    this.setState('draining');
    session.stream.pause();
    const timeout = new AbortController();
    const drained = await Promise.race([
      sink.whenIdle().then(() => true),
      sleep(this.config.drainTimeoutMs, timeout.signal).then(() => false),
    ]);
    timeout.abort();
    if (!drained) {
      this.logger.warn(
        { inflight: session.inflight.events },
        'drain timeout: unacknowledged events will be resent',
      );
    }
    session.confirmer.sendNow();
    session.confirmer.stop();
    await session.stream.stop();
    this.logger.info({ confirmed: formatLsn(this.confirmedLsn) }, 'stopped');
  }

  private onMessage(session: Session, sink: KafkaSink, message: PgOutputMessage, wal: WalData): void {
    session.received = maxLsn(session.received, wal.walEnd);
    switch (message.tag) {
      case 'begin':
        session.transaction = session.watermark.begin();
        session.commitTimeMs = pgMicrosToUnixMs(message.commitTimeMicros);
        return;
      case 'commit':
        if (!session.transaction)
          throw new DecodeError('Commit without Begin', 0x43, formatLsn(wal.walStart));
        session.watermark.commit(session.transaction, message.endLsn);
        session.transaction = undefined;
        return;
      case 'relation':
        if (!isOutboxRelation(this.layout, message)) return;
        session.mapRow = compileRowMapper(this.layout, message);
        session.outboxRelationOid = message.relationOid;
        this.logger.info({ columns: message.columns.map((c) => c.name) }, 'outbox table layout received');
        return;
      case 'insert':
        if (message.relationOid === session.outboxRelationOid && session.mapRow && session.transaction) {
          this.publish(
            session,
            sink,
            session.transaction,
            session.mapRow(message.values, session.commitTimeMs),
          );
        }
        return;
      case 'message':
      case 'ignored':
        return;
    }
  }

  private publish(
    session: Session,
    sink: KafkaSink,
    transaction: PendingTransaction,
    record: ReturnType<RowMapper>,
  ): void {
    const commitTimeMs = session.commitTimeMs;
    session.watermark.addEvent(transaction);
    session.inflight.add(record.sizeBytes);
    sink.enqueue({
      record,
      onAcknowledged: () => {
        session.inflight.release(record.sizeBytes);
        session.watermark.acknowledge(transaction);
        this.emit('event:acknowledged', record.topic, commitTimeMs, Date.now());
        if (!session.inflight.isFull && this.currentState !== 'draining') session.stream.resume();
      },
    });
    if (session.inflight.isFull) session.stream.pause();
  }

  private onKeepalive(session: Session, keepalive: Keepalive): void {
    session.received = maxLsn(session.received, keepalive.walEnd);
    session.watermark.serverIdleAt(keepalive.walEnd);
    if (keepalive.replyRequested) session.confirmer.sendNow();
  }

  private setState(state: RelayState): void {
    if (state === this.currentState) return;
    const previous = this.currentState;
    this.currentState = state;
    this.logger.debug({ state, previous }, 'state changed');
    this.emit('state:changed', state, previous);
  }
}
