import { KafkaSendError } from '../../../errors.js';
import { retryWhileRetriable } from '../../../lifecycle/backoff.js';
import { BatchingSink, type BatchOptions, type BatchSender } from '../../batching-sink.js';
import type { Delivery } from '../../delivery.js';
import type { SinkObserver } from '../../record-sink.js';
import { TOPIC_ACL_ADVICE } from '../connect-failure.js';
import type { BatchProducer } from './producer.js';
import { classifyKafkaError } from './send-errors.js';
import { toTopicMessages } from './topic-messages.js';

export interface SinkOptions extends BatchOptions {
  readonly retryMaxMs: number;
}

const RETRY_BASE_MS = 200;

/** The kafkajs sink of at-least-once delivery: batches sent one at a time by a RetryingSender. */
export function kafkajsSink(
  producer: BatchProducer,
  options: SinkOptions,
  observer: SinkObserver,
): BatchingSink {
  return new BatchingSink(new RetryingSender(producer, options.retryMaxMs, observer), options);
}

/**
 * Sends each batch with sendBatch; a retriable failure resends the same batch with backoff, on a
 * new producer, for ever; anything else rejects.
 */
class RetryingSender implements BatchSender {
  constructor(
    private readonly producer: BatchProducer,
    private readonly retryMaxMs: number,
    private readonly observer: SinkObserver,
  ) {}

  async send(batch: readonly Delivery[], signal: AbortSignal): Promise<void> {
    const messages = toTopicMessages(batch.map((delivery) => delivery.record));
    const bytes = batch.reduce((sum, delivery) => sum + delivery.record.sizeBytes, 0);
    try {
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
          maxMs: this.retryMaxMs,
          signal,
          onRetry: (failure, attempt, delay) => this.observer.sendFailed(failure, attempt, delay),
        },
      );
    } catch (error) {
      throw namingTopics(error, batch);
    }
  }

  close(): Promise<void> {
    return this.producer.disconnect();
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
