import { sleep } from '../lifecycle/backoff.js';
import type { Delivery } from './delivery.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { RecordSink } from './record-sink.js';
import { FailureSignal, IdleWaiters } from './sink-signals.js';

export interface BatchOptions {
  readonly batchMaxEvents: number;
  readonly batchMaxBytes: number;
  readonly batchLingerMs: number;
}

/** How a batch reaches Kafka: sendBatch with retries (kafkajs), or one Kafka transaction (exactly-once). */
export interface BatchSender {
  /**
   * Resolves once the broker has every record of the batch (committed, in a transaction); a
   * rejection fails the sink. `signal` aborts when the sink closes: a sender retrying stops.
   */
  send(batch: readonly Delivery[], signal: AbortSignal): Promise<void>;
  /** Disconnects the client; a send in flight may still complete. */
  close(): Promise<void>;
}

/** On close, how long a batch in flight may still take before the client is disconnected under it. */
const CLOSE_WAIT_MS = 10_000;

/**
 * Sends deliveries in order, one batch at a time: never two sends in flight, so never two to one
 * partition. While a batch is in flight the next one accumulates, so batches grow with the
 * broker's round trip. When the sender rejects, the sink fails (`failed` rejects).
 */
export class BatchingSink implements RecordSink {
  private readonly queue = new DeliveryQueue();
  private readonly abort = new AbortController();
  private sending = false;
  /** The send in flight, settled either way. */
  private inFlight: Promise<void> = Promise.resolve();
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly idleWaiters = new IdleWaiters();
  private readonly failure = new FailureSignal();
  readonly failed = this.failure.promise;
  readonly mayDeadLetter = false;

  constructor(
    private readonly sender: BatchSender,
    private readonly options: BatchOptions,
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

  /**
   * Stops sending and disconnects; a batch in flight may still complete, but none is retried. The
   * client is disconnected once that batch settles (or after CLOSE_WAIT_MS): a client disconnected
   * in the middle of its own retries reconnects for them, and its sockets outlive the sink.
   */
  async close(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.lingerTimer);
    this.queue.clear();
    this.notifyIfIdle();
    const waiting = new AbortController();
    await Promise.race([this.inFlight, sleep(CLOSE_WAIT_MS, waiting.signal)]);
    waiting.abort();
    await this.sender.close().catch(() => undefined);
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
    const sent = this.sender.send(batch, this.abort.signal);
    this.inFlight = sent.then(
      () => undefined,
      () => undefined,
    );
    try {
      await sent;
    } catch (error) {
      this.sending = false;
      if (!this.abort.signal.aborted) this.failure.fail(error);
      return this.notifyIfIdle();
    }
    this.sending = false;
    for (const delivery of batch) delivery.receipt.acknowledged(delivery.record.topic);
    // What accumulated during the round trip goes at once.
    if (this.queue.length > 0) void this.sendNext();
    else this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.isIdle) this.idleWaiters.release();
  }
}
