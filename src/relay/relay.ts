import type { Logger } from 'pino';
import { PublishedMemory } from '../checkpoint/published-memory.js';
import type { StoredCheckpoint } from '../checkpoint/stored-checkpoint.js';
import { redactConfig } from '../config/redact.js';
import { isExactlyOnce, type RelayConfig, readsMessages } from '../config/relay-config.js';
import { errorMessage, isRetriable, RelayError, ReplicationError } from '../errors.js';
import { fullJitterDelay, sleep } from '../lifecycle/backoff.js';
import { acquireLeaderLock, watchLeadership } from '../lifecycle/leader-lock.js';
import { TypedEmitter } from '../lifecycle/typed-emitter.js';
import { layoutFromConfig, type OutboxLayout } from '../outbox/layout.js';
import { startRetention } from '../outbox/retention-keeper.js';
import { ReplicationSession } from '../pipeline/session.js';
import { assembleSinks } from '../pipeline/sink-assembly.js';
import type { RelayEvents, RelayState } from '../relay-events.js';
import { formatLsn, type Lsn, ZERO_LSN } from '../replication/lsn.js';
import { endClient } from '../replication/pg-internals.js';
import { connectPostgres } from '../replication/postgres-client.js';
import { resolvePrimary } from '../replication/primary.js';
import { watchPrimary } from '../replication/primary-watch.js';
import { ReplicationStream } from '../replication/stream.js';
import { checkSlot } from '../setup/preflight.js';
import { standByFenced } from '../sinks/kafka/fenced-standby.js';
import { isFenced } from '../sinks/kafka/transactional-id.js';
import type { RecordSink } from '../sinks/record-sink.js';
import type { SessionSinks } from '../sinks/session-sinks.js';
import { relaySinkEvents } from './sink-events.js';
import { checkBeforeStart } from './start-checks.js';

const APPLICATION_NAME = 'outbox-relay';
const RECONNECT_BASE_MS = 500;

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
    super((event, error) =>
      logger.error(
        { err: error, event },
        `a listener of the relay's "${event}" event threw; the relay goes on`,
      ),
    );
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
    const { layout, identity } = await checkBeforeStart(this.config, this.layout, this.logger);
    this.layout = layout;
    const { sinks, transactionalId } = await assembleSinks(
      this.config,
      this.logger,
      relaySinkEvents(
        this.logger,
        (state) => this.setState(state),
        (event, ...args) => this.emit(event, ...args),
      ),
      identity,
    );
    this.transactionalId = transactionalId;
    let ready: () => void = () => undefined;
    const firstReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    this.finished = this.runSessions(sinks, ready).finally(() => sinks.close());
    await Promise.race([firstReady, this.finished]);
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
    const leader = await connectPostgres(databaseUrl, `${APPLICATION_NAME} leader`);
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
      const retention = await startRetention(databaseUrl, leader, this.config, this.logger, {
        deleted: (rows) => this.emit('retention:deleted', rows),
        observed: (tableBytes, age) => this.emit('retention:observed', tableBytes, age),
      });
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
      if (fenced !== undefined) {
        return await standByFenced(fenced, leader, leadership, this.stopping.signal, {
          slot: this.config.slot,
          transactionalId: this.transactionalId,
          logger: this.logger,
          onStandBy: () => this.setState('fenced'),
        });
      }
      if (leadership.isLost() && !this.stopping.signal.aborted) {
        throw new ReplicationError('lost the connection holding the leader lock', undefined, true);
      }
    } finally {
      await primaryWatch.stop();
      await endClient(leader);
    }
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
