import type pg from 'pg';
import type { Logger } from 'pino';
import type { AvroStage } from './avro/stage.js';
import { PublishedMemory } from './checkpoint/published-memory.js';
import type { StoredCheckpoint } from './checkpoint/stored-checkpoint.js';
import { redactConfig } from './config/redact.js';
import { isExactlyOnce, type RelayConfig, readsMessages, readsTable } from './config/relay-config.js';
import { errorMessage, isRetriable, KafkaSendError, RelayError, ReplicationError } from './errors.js';
import { fullJitterDelay, sleep } from './lifecycle/backoff.js';
import { acquireLeaderLock, holdsLeaderLock } from './lifecycle/leader-lock.js';
import { TypedEmitter } from './lifecycle/typed-emitter.js';
import { layoutFromConfig, type OutboxLayout } from './outbox/layout.js';
import { isPartitioned, OutboxPartitions } from './outbox/partitions.js';
import { RetentionJob } from './outbox/retention.js';
import type { RelayEvents, RelayState } from './relay-events.js';
import { failoverFindings, readFailoverFacts } from './replication/failover.js';
import { formatLsn, type Lsn, ZERO_LSN } from './replication/lsn.js';
import { connectMetadata } from './replication/metadata-client.js';
import { endClient } from './replication/pg-internals.js';
import { resolvePrimary } from './replication/primary.js';
import { watchPrimary } from './replication/primary-watch.js';
import { ReplicationStream } from './replication/stream.js';
import { readStreamIdentity, type StreamIdentity } from './replication/stream-identity.js';
import { ReplicationSession } from './session.js';
import { checkSlot, preflight } from './setup/preflight.js';
import { connectKafkaSink, connectTransactionalSink } from './sinks/kafka/connect.js';
import { isFenced, transactionalIdOf } from './sinks/kafka/transactional-id.js';
import type { RecordSink, SinkObserver } from './sinks/record-sink.js';

const APPLICATION_NAME = 'outbox-relay';
const RECONNECT_BASE_MS = 500;
/** How long a relay fenced by a relay of another stream stands by before it connects its producer again. */
const FENCED_STANDBY_MS = 5 * 60_000;

/**
 * The relay's lifecycle around replication sessions: checks, leadership, reconnects, drain.
 * `start()` checks the database and Kafka and resolves once streaming (or standing by);
 * `stop()` drains and confirms. Transient failures (PostgreSQL restarts, Kafka outages) are
 * retried; anything else ends the relay with `done` rejected, having confirmed nothing that
 * Kafka has not acknowledged.
 */
export class OutboxRelay extends TypedEmitter<RelayEvents> {
  private layout: OutboxLayout;
  private readonly stopping = new AbortController();
  private readonly stopSignal: Promise<void>;
  private session: ReplicationSession | undefined;
  private currentState: RelayState = 'starting';
  private confirmedLsn: Lsn = ZERO_LSN;
  private confirmedCommitTimeMs: number | undefined;
  private readonly memory: PublishedMemory;
  private started: Promise<void> | undefined;
  private finished: Promise<void> | undefined;
  /** Exactly-once: the Kafka transactional.id of this relay's producers. */
  private transactionalId: string | undefined;

  constructor(
    private readonly config: RelayConfig,
    private readonly logger: Logger,
  ) {
    super();
    this.layout = layoutFromConfig(config);
    this.memory = new PublishedMemory(isExactlyOnce(config), logger, (divergence) =>
      this.emit('history:diverged', divergence),
    );
    this.stopSignal = new Promise((resolve) =>
      this.stopping.signal.addEventListener('abort', () => resolve()),
    );
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

  /** The commit time of the oldest transaction received and not yet acknowledged by Kafka; undefined when none is. */
  get oldestPendingCommitTimeMs(): number | undefined {
    return this.session?.oldestPendingCommitTimeMs;
  }

  /** The commit time of the last transaction this process confirmed to the server. */
  get lastConfirmedCommitTimeMs(): number | undefined {
    return this.confirmedCommitTimeMs;
  }

  /** The last LSN confirmed to the server by this process. */
  get confirmed(): Lsn {
    return this.confirmedLsn;
  }

  /** Settles when the relay has stopped: fulfilled after stop(), rejected on a fatal error. */
  get done(): Promise<void> {
    if (!this.finished) throw new Error('OutboxRelay.done read before start()');
    return this.finished;
  }

  /** Checks everything, then streams (or waits as a standby). Idempotent. */
  start(): Promise<void> {
    this.started ??= this.startOnce();
    return this.started;
  }

  /** Stops reading, waits for in-flight events (bounded by the drain timeout), confirms, closes. Idempotent. */
  async stop(): Promise<void> {
    // Readiness drops at once: a draining relay reads nothing more.
    if (['streaming', 'kafka-unavailable', 'registry-unavailable'].includes(this.currentState))
      this.setState('draining');
    this.stopping.abort();
    await this.started?.catch(() => undefined);
    await this.finished?.catch(() => undefined);
  }

  private async startOnce(): Promise<void> {
    this.logger.info({ config: redactConfig(this.config) }, 'starting outbox-relay');
    const metadata = await connectMetadata(this.config.databaseUrl, APPLICATION_NAME);
    let identity: StreamIdentity;
    try {
      this.layout = await preflight(metadata, this.config, this.layout);
      // A single server without standbys is common (development): what failover lacks is info, not a warning.
      const facts = await readFailoverFacts(metadata, this.config.slot);
      const findings = failoverFindings(facts, this.config.slot, this.config.failoverSlot);
      this.logger.info(
        { failover: findings.map(({ level, message }) => `${level}: ${message}`) },
        'failover readiness',
      );
      identity = await readStreamIdentity(metadata, this.config.slot);
    } finally {
      await metadata.end().catch(() => undefined);
    }
    const avro =
      this.config.valueEncoding === 'avro'
        ? await (await import('./avro/stage.js')).prepareAvroStage(this.config)
        : undefined;
    const sinks = isExactlyOnce(this.config)
      ? await this.transactionalSinks(avro, identity)
      : new SinkHolder(() => this.connectSink(avro), await this.connectSink(avro));
    let ready: () => void = () => undefined;
    const firstReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    this.finished = this.runSessions(sinks, ready).finally(() => sinks.close());
    await Promise.race([firstReady, this.finished]);
  }

  /**
   * Exactly-once: the checkpoint topic now (a clear error if Kafka cannot be reached), and a
   * transactional producer for each session once it holds the leader lock, never before: a
   * standby that connected one would fence the leader's.
   */
  private async transactionalSinks(
    avro: AvroStage | undefined,
    identity: StreamIdentity,
  ): Promise<SessionSinks> {
    const { openCheckpoints } = await import('./sinks/kafka/kafkajs/connect.js');
    const checkpoints = await openCheckpoints(this.config, this.logger, identity);
    this.transactionalId = transactionalIdOf(this.config, identity);
    return {
      open: async () => {
        const kafka = await connectTransactionalSink(
          this.config,
          this.logger,
          this.sinkObserver,
          checkpoints.target,
        ).catch(retriableUnlessRefused);
        try {
          const checkpoint = await checkpoints.read();
          return { sink: avro ? this.encodingAvro(kafka, avro) : kafka, checkpoint };
        } catch (error) {
          await kafka.close();
          throw retriableUnlessRefused(error);
        }
      },
      release: (sink) => sink.close(),
      close: async () => undefined,
    };
  }

  private readonly sinkObserver: SinkObserver = {
    batchSent: (events, bytes, seconds) => this.emit('batch:sent', events, bytes, seconds),
    sendFailed: (error, attempt, delayMs) => {
      if (attempt === 0) this.logger.warn({ err: error }, 'Kafka unavailable; retrying with backoff');
      // At debug: when the next try comes (kafkajs's can come OUTBOX_RETRY_MAX_MS after Kafka is back).
      else this.logger.debug({ err: error, attempt, delayMs }, 'Kafka still unavailable; retrying');
      this.setState('kafka-unavailable');
      this.emit('batch:failed', error, attempt, delayMs);
    },
    sendRecovered: () => {
      this.logger.info('Kafka reachable again');
      this.setState('streaming');
    },
  };

  /** The Kafka sink of OUTBOX_KAFKA_CLIENT, behind the Avro stage when values are Avro. */
  private async connectSink(avro: AvroStage | undefined): Promise<RecordSink> {
    const sink = await connectKafkaSink(this.config, this.logger, this.sinkObserver);
    return avro ? this.encodingAvro(sink, avro) : sink;
  }

  private encodingAvro(kafka: RecordSink, avro: AvroStage): RecordSink {
    return avro.wrap(kafka, {
      registryFailed: (error, attempt, delayMs) => {
        if (attempt === 0)
          this.logger.warn({ err: error }, 'schema registry unavailable; retrying with backoff');
        this.setState('registry-unavailable');
        this.emit('registry:failed', error, attempt, delayMs);
      },
      registryRecovered: () => {
        this.logger.info('schema registry reachable again');
        this.setState('streaming');
      },
    });
  }

  /** Runs sessions until stopped; reconnects after retriable failures with backoff. */
  private async runSessions(sinks: SessionSinks, onReady: () => void): Promise<void> {
    try {
      for (let attempt = 0; !this.stopping.signal.aborted; ) {
        try {
          await this.runSession(sinks, () => {
            attempt = 0;
            onReady();
          });
        } catch (error) {
          const retry = isRetriable(error) && !this.stopping.signal.aborted;
          if (error instanceof RelayError) this.emit('replication:error', error, retry);
          if (!retry) throw error;
          const delay = fullJitterDelay(attempt++, RECONNECT_BASE_MS, this.config.retryMaxMs);
          this.logger.warn({ err: error, delayMs: delay }, 'replication interrupted; reconnecting');
          this.setState('backing-off');
          await sleep(delay, this.stopping.signal);
        }
      }
      this.setState('stopped');
      this.logger.info({ confirmed: formatLsn(this.confirmedLsn) }, 'stopped');
    } catch (error) {
      this.setState('failed');
      this.logger.error({ err: error }, `outbox-relay stopped: ${errorMessage(error)}`);
      throw error;
    }
  }

  /** One session: take the leader lock, check the slot, stream until stopped or failed. */
  private async runSession(sinks: SessionSinks, onReady: () => void): Promise<void> {
    this.setState('connecting');
    // After a failover another host is the primary: the lock, the slot and the stream follow it.
    const databaseUrl = await resolvePrimary(this.config.databaseUrl, this.logger);
    const leader = await connectMetadata(databaseUrl, `${APPLICATION_NAME} leader`);
    // A split brain may begin during the session: it leaves this host when another proves to be the primary.
    const primaryWatch = watchPrimary(this.config.databaseUrl, databaseUrl);
    try {
      const leadership = watchLeadership(leader);
      const waitStarted = Date.now();
      const isLeader = await acquireLeaderLock(leader, this.config.slot, {
        pollMs: this.config.leaderPollMs,
        signal: AbortSignal.any([this.stopping.signal, primaryWatch.signal]),
        onWaiting: () => {
          this.setState('standby');
          this.logger.info({ slot: this.config.slot }, 'another relay streams this slot; standing by');
          onReady();
        },
      });
      if (!isLeader) return;
      this.emit('leader:acquired', Date.now() - waitStarted);
      await checkSlot(leader, this.config.slot);
      const { sink, checkpoint } = await sinks.open();
      const retention = await this.startRetention(databaseUrl, leader);
      let fenced: unknown;
      try {
        const leave = Promise.race([leadership.lost, primaryWatch.moved]);
        await this.stream(databaseUrl, sink, checkpoint, leave, onReady);
      } catch (error) {
        if (!this.transactionalId || !isFenced(error) || this.stopping.signal.aborted) throw error;
        fenced = error;
      } finally {
        await retention?.stop();
        await sinks.release(sink);
      }
      if (fenced !== undefined) return await this.standByFenced(leader, leadership, fenced);
      if (leadership.isLost() && !this.stopping.signal.aborted) {
        throw new ReplicationError('lost the connection holding the leader lock', undefined, true);
      }
    } finally {
      await primaryWatch.stop();
      await endClient(leader);
    }
  }

  /**
   * Another producer of this relay's transactional id fenced its own. A relay that lost its leader
   * lock was replaced by one of its slot: the next session stands by on the lock. One that still
   * holds it shares its id with a relay of another stream (OUTBOX_TRANSACTIONAL_ID set alike, or an
   * older default): connecting again would fence that one, which would fence back, for ever. It
   * stands by instead, keeping the lock so that no replica of its slot fences back either, and
   * tries again after FENCED_STANDBY_MS: an id used only for a while (a test relay pointed at
   * production) then stops this stream no longer than that, while two misconfigured relays take
   * turns instead of aborting each other's every transaction.
   */
  private async standByFenced(
    leader: pg.Client,
    leadership: { lost: Promise<void>; isLost(): boolean },
    error: unknown,
  ): Promise<void> {
    if (leadership.isLost() || !(await holdsLeaderLock(leader, this.config.slot))) throw error;
    this.setState('fenced');
    this.logger.error(
      { err: error, transactionalId: this.transactionalId, retryInMs: FENCED_STANDBY_MS },
      `Kafka fenced this relay's transactional id ${this.transactionalId} while it still holds the leader lock of slot ` +
        `${this.config.slot}: a relay of another database or slot uses the same id. Standing by instead of fencing it back; ` +
        'give each relay its own OUTBOX_TRANSACTIONAL_ID, or leave it empty for the default, unique per server, database and slot',
    );
    const wake = new AbortController();
    const wakeUp = () => wake.abort();
    this.stopping.signal.addEventListener('abort', wakeUp, { once: true });
    void leadership.lost.then(wakeUp);
    await sleep(FENCED_STANDBY_MS, wake.signal);
    this.stopping.signal.removeEventListener('abort', wakeUp);
  }

  /**
   * OUTBOX_RETENTION, and a partitioned outbox's partitions, kept by the leader only, on a
   * connection of its own. Undefined when there is neither.
   */
  private async startRetention(
    databaseUrl: string,
    leader: pg.Client,
  ): Promise<{ stop(): Promise<void> } | undefined> {
    if (!readsTable(this.config)) return undefined;
    const partitioned = await isPartitioned(leader, this.config.table);
    if (this.config.retentionMs === 0 && !partitioned) return undefined;
    const client = await connectMetadata(databaseUrl, `${APPLICATION_NAME} retention`);
    const partitions = partitioned
      ? new OutboxPartitions(client, this.config.table, this.config.partitionPeriodMs, (name, reason) =>
          this.logger.warn({ partition: name }, `cannot create the outbox partition: ${reason}`),
        )
      : undefined;
    const job = new RetentionJob(
      client,
      this.config,
      {
        deleted: (rows) => this.emit('retention:deleted', rows),
        droppedPartition: (name) =>
          this.logger.info(
            { partition: name },
            'dropped an outbox partition past the retention, all of it confirmed',
          ),
        observed: (tableBytes, age) => this.emit('retention:observed', tableBytes, age),
        failed: (error) =>
          this.logger.warn({ err: error }, 'retention round failed; trying again next round'),
      },
      partitions,
    );
    client.on('error', () => undefined);
    job.start();
    return {
      stop: async () => {
        await job.stop();
        await endClient(client);
      },
    };
  }

  /**
   * Streams the slot from its confirmed position until stopped, a failure, or `leave` settles:
   * resolved (leadership lost), it drains and confirms; rejected (another host is the primary), it
   * confirms nothing more on this one.
   */
  private async stream(
    databaseUrl: string,
    sink: RecordSink,
    checkpoint: StoredCheckpoint | undefined,
    leave: Promise<void>,
    onReady: () => void,
  ): Promise<void> {
    const stream = new ReplicationStream({
      connectionString: databaseUrl,
      slot: this.config.slot,
      publication: this.config.publication,
      applicationName: APPLICATION_NAME,
      messages: readsMessages(this.config),
    });
    const origin = await stream.connect();
    this.confirmedLsn = origin.slotConfirmed;
    const history = this.memory.check(origin, checkpoint);
    const session = new ReplicationSession(
      stream,
      sink,
      this.layout,
      this.config,
      this.logger,
      {
        confirmed: (lsn, commitTimeMs) => {
          this.confirmedLsn = lsn;
          this.confirmedCommitTimeMs = commitTimeMs ?? this.confirmedCommitTimeMs;
          this.emit('checkpoint:confirmed', lsn);
        },
        acknowledged: (topic, events, commitTimeMs) =>
          this.emit('events:acknowledged', topic, events, commitTimeMs, Date.now()),
        deadLettered: (reason) => this.emit('event:dead-lettered', reason),
        skipped: () => this.emit('event:skipped'),
        published: (transaction) => {
          this.memory.record(transaction);
        },
      },
      origin,
      history,
    );
    this.session = session;
    await session.run(Promise.race([this.stopSignal, leave]), () => {
      this.setState('streaming');
      this.logger.info(
        { slot: this.config.slot, from: formatLsn(origin.slotConfirmed), timeline: origin.timeline },
        'streaming',
      );
      onReady();
    });
  }

  private setState(state: RelayState): void {
    if (state === this.currentState) return;
    // Once stopping, never back to streaming (Kafka may recover during the drain).
    if (state === 'streaming' && this.stopping.signal.aborted) return;
    const previous = this.currentState;
    this.currentState = state;
    this.logger.debug({ state, previous }, 'state changed');
    this.emit('state:changed', state, previous);
  }
}

/** Resolves `lost` when the leader connection dies: whoever holds the lock next may stream. */
function watchLeadership(leader: pg.Client): { lost: Promise<void>; isLost(): boolean } {
  let gone = false;
  const lost = new Promise<void>((resolve) => {
    const mark = () => {
      gone = true;
      resolve();
    };
    leader.once('error', mark);
    leader.once('end', mark);
  });
  return { lost, isLost: () => gone };
}

/** Where each session's sink comes from, and where it goes after the session. */
interface SessionSinks {
  /** The sink of a session that holds the leader lock, and what Kafka already has of the stream (exactly-once). */
  open(): Promise<{ readonly sink: RecordSink; readonly checkpoint?: StoredCheckpoint }>;
  release(sink: RecordSink): Promise<void>;
  close(): Promise<void>;
}

/**
 * At-least-once: one sink for every session. One that failed retriably (a Kafka client that must
 * be created anew) is closed and replaced before the next session; its failure already ended the last one.
 */
class SinkHolder implements SessionSinks {
  private broken = false;

  constructor(
    private readonly connect: () => Promise<RecordSink>,
    private sink: RecordSink,
  ) {
    this.watch(sink);
  }

  async open(): Promise<{ sink: RecordSink }> {
    if (!this.broken) return { sink: this.sink };
    await this.sink.close();
    const sink = await this.connect().catch(retriable);
    this.sink = sink;
    this.broken = false;
    this.watch(sink);
    return { sink };
  }

  async release(): Promise<void> {}

  close(): Promise<void> {
    return this.sink.close();
  }

  private watch(sink: RecordSink): void {
    sink.failed.catch(() => {
      if (this.sink === sink) this.broken = true;
    });
  }
}

/** A Kafka client that cannot connect after start-up: the brokers were reachable, so try again. */
function retriable(error: unknown): never {
  throw new KafkaSendError(`Kafka: ${errorMessage(error)}`, undefined, true, { cause: error });
}

/** As retriable(), except a refusal no retry can fix (an ACL, a transactional id not allowed). */
function retriableUnlessRefused(error: unknown): never {
  if (error instanceof KafkaSendError && error.brokerErrorType !== undefined && !error.retriable) throw error;
  return retriable(error);
}
