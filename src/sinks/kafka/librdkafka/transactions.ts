import { KafkaSendError } from '../../../errors.js';
import type { OutboxRecord } from '../../../outbox/record.js';
import type { TransactionalProducer } from '../checkpointing-sender.js';
import type { LibrdkafkaErrors, LibrdkafkaFailure } from './errors.js';
import { type Produces, produceRecord } from './sink.js';

/** The transactional calls of @confluentinc/kafka-javascript's Producer. */
export interface NativeTransactionalProducer extends Produces {
  initTransactions(timeoutMs: number, callback: (error: LibrdkafkaFailure | null) => void): void;
  beginTransaction(callback: (error: LibrdkafkaFailure | null) => void): void;
  commitTransaction(timeoutMs: number, callback: (error: LibrdkafkaFailure | null) => void): void;
  abortTransaction(timeoutMs: number, callback: (error: LibrdkafkaFailure | null) => void): void;
  disconnect(timeoutMs: number, callback: () => void): unknown;
}

/** Also librdkafka's transaction.timeout.ms: the coordinator aborts a transaction left open longer. */
export const TRANSACTION_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 1_000;

/**
 * librdkafka's transactional producer: each commit is begin, produce every record, commit (which
 * waits for every record's delivery). Delivery reports are off: the commit's outcome is the
 * acknowledgement. Any failure aborts what it can and rejects; the sink then fails, and the next
 * producer's initTransactions settles whatever this one left open.
 */
export class LibrdkafkaTransactions implements TransactionalProducer {
  constructor(
    private readonly producer: NativeTransactionalProducer,
    private readonly errors: LibrdkafkaErrors,
  ) {}

  /** Fences every earlier producer of the transactional id and settles its open transaction. */
  init(): Promise<void> {
    return this.call('cannot start transactions', (done) =>
      this.producer.initTransactions(TRANSACTION_TIMEOUT_MS, done),
    );
  }

  async commit(records: readonly OutboxRecord[]): Promise<void> {
    await this.call('cannot begin a transaction', (done) => this.producer.beginTransaction(done));
    try {
      for (const record of records) produceRecord(this.producer, record, undefined);
      await this.call('the transaction was not committed', (done) =>
        this.producer.commitTransaction(TRANSACTION_TIMEOUT_MS, done),
      );
    } catch (error) {
      const abortFailure = await this.call('abort', (done) =>
        this.producer.abortTransaction(TRANSACTION_TIMEOUT_MS, done),
      ).then(
        () => undefined,
        (failure: KafkaSendError) => failure.cause as LibrdkafkaFailure,
      );
      // The calls reject with the relay's error already; produce() throws a LibrdKafkaError, only
      // ERR__FATAL once the producer is in a fatal state, whose cause (ERR__FENCED: another
      // producer of the transactional id took over) the abort reports.
      if (error instanceof KafkaSendError) throw error;
      const failure = error as LibrdkafkaFailure;
      const cause =
        this.errors.name(failure) === 'ERR__FATAL' && abortFailure?.isFatal ? abortFailure : failure;
      throw this.errors.toSendError(cause, 'cannot send a record');
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.producer.disconnect(CLOSE_TIMEOUT_MS, resolve));
  }

  private call(
    context: string,
    operation: (done: (error: LibrdkafkaFailure | null) => void) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      operation((error) => (error ? reject(this.errors.toSendError(error, context)) : resolve()));
    });
  }
}
