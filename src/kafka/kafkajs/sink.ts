import { KafkaSendError } from '../../errors.js';
import { retryWhileRetriable } from '../../lifecycle/backoff.js';
import { TOPIC_ACL_ADVICE } from '../connect-failure.js';
import type { Delivery } from '../delivery.js';
import type { RecordSink, SinkObserver } from '../record-sink.js';
import { FailureSignal, IdleWaiters } from '../sink-signals.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { BatchProducer } from './producer.js';
import { classifyKafkaError } from './send-errors.js';
import { toTopicMessages } from './topic-messages.js';

export interface SinkOptions {
  readonly batchMaxEvents: number;
  readonly batchMaxBytes: number;
  readonly batchLingerMs: number;
  readonly retryMaxMs: number;
}

const RETRY_BASE_MS = 200;

/**
 * Sends deliveries to Kafka in order, one sendBatch at a time: never two sends in flight,
 * so never two to one partition. While a batch is in flight the next one accumulates, so
 * batches grow with the broker's round trip. A retriable failure resends the same batch
 * with backoff, for ever; anything else fails the sink (`failed` rejects).
 */
export class KafkajsSink implements RecordSink {
  private readonly queue = new DeliveryQueue();
  private readonly abort = new AbortController();
  private sending = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly idleWaiters = new IdleWaiters();
  private readonly failure = new FailureSignal();
  readonly failed = this.failure.promise;
  readonly mayDeadLetter = false;

  constructor(
    private readonly producer: BatchProducer,
    private readonly options: SinkOptions,
    private readonly observer: SinkObserver,
  ) {}

  enqueue(delivery: Delivery): void {
    if (this.abort.signal.aborted) return;
    this.queue.push(delivery);
    this.schedule();
  }

  /** Resolves once everything enqueued so far is acknowledged (or the sink closed). */
  whenIdle(): Promise<void> {
    return this.idleWaiters.wait(this.isIdle);
  }

  get isIdle(): boolean {
    return !this.sending && this.queue.length === 0;
  }

  /** Drops what is queued but not yet sent: the server will send it again. */
  discardQueued(): void {
    this.queue.clear();
    this.notifyIfIdle();
  }

  /** Stops sending and disconnects; a batch in flight may still complete, but none is retried. */
  async close(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.lingerTimer);
    this.queue.clear();
    this.notifyIfIdle();
    await this.producer.disconnect().catch(() => undefined);
  }

  private schedule(): void {
    if (this.sending) return;
    const { batchMaxEvents, batchMaxBytes, batchLingerMs } = this.options;
    const full = this.queue.length >= batchMaxEvents || this.queue.sizeBytes >= batchMaxBytes;
    if (full || batchLingerMs === 0) {
      void this.sendNext();
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => void this.sendNext(), batchLingerMs);
    }
  }

  private async sendNext(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.sending || this.abort.signal.aborted) return;
    const batch = this.queue.take(this.options.batchMaxEvents, this.options.batchMaxBytes);
    if (batch.length === 0) return this.notifyIfIdle();
    this.sending = true;
    try {
      await this.sendWithRetry(batch);
    } catch (error) {
      this.sending = false;
      if (!this.abort.signal.aborted) this.failure.fail(namingTopics(error, batch));
      return this.notifyIfIdle();
    }
    this.sending = false;
    for (const delivery of batch) delivery.receipt.acknowledged(delivery.record.topic);
    // What accumulated during the round trip goes at once.
    if (this.queue.length > 0) void this.sendNext();
    else this.notifyIfIdle();
  }

  private async sendWithRetry(batch: Delivery[]): Promise<void> {
    const messages = toTopicMessages(batch);
    const bytes = batch.reduce((sum, delivery) => sum + delivery.record.sizeBytes, 0);
    await retryWhileRetriable(
      async (attempt) => {
        if (attempt > 0) await this.producer.reset().catch(() => undefined);
        const started = performance.now();
        await this.producer.send(messages);
        this.observer.batchSent(batch.length, bytes, (performance.now() - started) / 1000);
        if (attempt > 0) this.observer.sendRecovered();
      },
      {
        classify: classifyKafkaError,
        baseMs: RETRY_BASE_MS,
        maxMs: this.options.retryMaxMs,
        signal: this.abort.signal,
        onRetry: (failure, attempt, delay) => this.observer.sendFailed(failure, attempt, delay),
      },
    );
  }

  private notifyIfIdle(): void {
    if (this.isIdle) this.idleWaiters.release();
  }
}

/** kafkajs says which topics a denial is about only in its metadata; the batch knows them. */
function namingTopics(error: unknown, batch: readonly Delivery[]): unknown {
  if (!(error instanceof KafkaSendError) || error.brokerErrorType !== 'TOPIC_AUTHORIZATION_FAILED')
    return error;
  const topics = [...new Set(batch.map((delivery) => delivery.record.topic))].join(', ');
  return new KafkaSendError(
    `${error.message} (sending to ${topics}); ${TOPIC_ACL_ADVICE}`,
    error.brokerErrorType,
    false,
    {
      cause: error,
    },
  );
}
