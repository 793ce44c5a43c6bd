import type { Logger } from 'pino';
import type { KafkaSendError } from '../../../errors.js';
import type { OutboxRecord } from '../../../outbox/record.js';
import type { Delivery, Receipt } from '../../delivery.js';
import type { RecordSink, SinkObserver } from '../../record-sink.js';
import { FailureSignal, IdleWaiters } from '../../sink-signals.js';
import type { LibrdkafkaErrors, LibrdkafkaFailure } from './errors.js';

/**
 * An empty value that stays empty: the binding passes a zero-length Buffer's data pointer, which
 * is NULL for Buffer.alloc(0), and librdkafka then sends a null value (a tombstone). A zero-length
 * view into a real allocation has a pointer.
 */
const EMPTY_VALUE = Buffer.alloc(1).subarray(0, 0);
/** A null header value: for the same reason, the data pointer of Buffer.alloc(0) is NULL. */
const NULL_HEADER = Buffer.alloc(0);

/** A record's headers in librdkafka's form: one single-key object per header. */
type HeaderList = Array<Record<string, string | Buffer>>;

/** What the sink reads of a delivery report. */
interface Report {
  readonly topic: string;
  /** The value's length in bytes. */
  readonly size: number;
  readonly opaque?: unknown;
}

/** The one record timed from produce to report, for outbox_publish_duration_seconds. */
interface TimedRecord {
  readonly receipt: Receipt;
  readonly sentAt: number;
}

/** The produce call of @confluentinc/kafka-javascript's Producer. */
export interface Produces {
  /** Queues one record (librdkafka copies it) or throws a LibrdKafkaError, e.g. ERR__QUEUE_FULL. */
  produce(
    topic: string,
    partition: number,
    value: Buffer | null,
    key: string,
    timestampMs: number,
    opaque: unknown,
    headers: HeaderList | undefined,
  ): unknown;
}

/** The part of @confluentinc/kafka-javascript's Producer the sink uses; a fake in unit tests. */
export interface NativeProducer extends Produces {
  on(
    event: 'delivery-report',
    listener: (error: LibrdkafkaFailure | null | undefined, report: Report) => void,
  ): unknown;
  on(event: 'event.error', listener: (error: LibrdkafkaFailure) => void): unknown;
  disconnect(timeoutMs: number, callback: () => void): unknown;
}

/** After a connection error, how long a new record may wait before the relay calls Kafka unavailable. */
const UNAVAILABLE_AFTER_MS = 1_000;
/** On close, how long librdkafka may still try to send what it holds. */
const CLOSE_FLUSH_MS = 1_000;

/**
 * Hands each record to librdkafka at once (it batches by linger.ms, up to 5 requests in flight
 * per broker, in order per partition: see settings.ts) and acknowledges each from its delivery
 * report. librdkafka keeps its own copy of each record, and the report's opaque is the receipt
 * (shared by a transaction's events): the relay keeps nothing per record in flight, so records
 * die young and the heap stays small.
 * librdkafka retries for ever and never times a record out; a fatal producer error, or a record
 * it gives up on, fails the sink (retriable: the relay makes a new producer and resends from
 * the slot), and an error no resend can fix fails it for good.
 */
export class LibrdkafkaSink implements RecordSink {
  private readonly failure = new FailureSignal();
  readonly failed = this.failure.promise;
  readonly mayDeadLetter = false;
  private failedWith: KafkaSendError | undefined;
  private closing: Promise<void> | undefined;
  /** Given to librdkafka, not yet reported. */
  private outstanding = 0;
  /** Refused by librdkafka's full queue; resent, in order, as reports free room. */
  private readonly overflow: Delivery[] = [];
  private readonly idleWaiters = new IdleWaiters();
  private readonly round = { events: 0, bytes: 0, seconds: undefined as number | undefined };
  private roundScheduled: NodeJS.Immediate | undefined;
  private timed: TimedRecord | undefined;
  private connectionError: KafkaSendError | undefined;
  private unavailableTimer: NodeJS.Timeout | undefined;
  private unavailableReports = 0;

  constructor(
    private readonly producer: NativeProducer,
    private readonly errors: LibrdkafkaErrors,
    private readonly observer: SinkObserver,
    private readonly logger: Logger,
  ) {
    producer.on('delivery-report', this.onReport);
    producer.on('event.error', this.onClientError);
  }

  enqueue(delivery: Delivery): void {
    if (this.closing || this.failedWith) return;
    if (this.overflow.length > 0 || !this.produce(delivery)) this.overflow.push(delivery);
  }

  whenIdle(): Promise<void> {
    return this.idleWaiters.wait(this.isIdle);
  }

  /** What librdkafka holds is sent regardless (it cannot drop queued records without a gap). */
  discardQueued(): void {
    this.overflow.length = 0;
    this.notifyIfIdle();
  }

  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.overflow.length = 0;
      clearTimeout(this.unavailableTimer);
      this.producer.disconnect(CLOSE_FLUSH_MS, resolve);
      this.notifyIfIdle();
    });
    return this.closing;
  }

  /** Nothing more will be acknowledged: all is, or the sink failed or closed. */
  private get isIdle(): boolean {
    return (
      (this.outstanding === 0 && this.overflow.length === 0) ||
      this.failedWith !== undefined ||
      this.closing !== undefined
    );
  }

  /** False when librdkafka's queue is full; a failure that no resend can fix fails the sink. */
  private produce(delivery: Delivery): boolean {
    const { record, receipt } = delivery;
    const timed = this.timed ? undefined : { receipt, sentAt: performance.now() };
    try {
      produceRecord(this.producer, record, timed ?? receipt);
    } catch (error) {
      const failure = error as LibrdkafkaFailure;
      if (this.errors.name(failure) === 'ERR__QUEUE_FULL') return false;
      this.fail(this.errors.toSendError(failure, `cannot send a record to ${record.topic}`));
      return true;
    }
    this.outstanding++;
    this.timed ??= timed;
    if (this.connectionError && !this.unavailableTimer) {
      this.unavailableTimer = setTimeout(() => this.reportUnavailable(), UNAVAILABLE_AFTER_MS);
    }
    return true;
  }

  private readonly onReport = (error: LibrdkafkaFailure | null | undefined, report: Report) => {
    this.outstanding--;
    let receipt = report.opaque as Receipt;
    if (report.opaque === this.timed && this.timed) {
      receipt = this.timed.receipt;
      this.round.seconds = (performance.now() - this.timed.sentAt) / 1000;
      this.timed = undefined;
    }
    if (error) {
      if (this.errors.kind(error) !== 'purged') {
        this.fail(this.errors.toSendError(error, `a record for ${report.topic} was not delivered`));
      }
    } else {
      this.delivered(receipt, report);
    }
    while (this.overflow.length > 0 && !this.failedWith && this.produce(this.overflow[0] as Delivery)) {
      this.overflow.shift();
    }
    this.notifyIfIdle();
  };

  private delivered(receipt: Receipt, report: Report): void {
    if (this.connectionError) this.recovered();
    receipt.acknowledged(report.topic);
    this.round.events++;
    this.round.bytes += report.size;
    this.roundScheduled ??= setImmediate(this.reportRound);
  }

  private readonly reportRound = (): void => {
    this.roundScheduled = undefined;
    const { events, bytes, seconds } = this.round;
    this.round.events = 0;
    this.round.bytes = 0;
    this.round.seconds = undefined;
    this.observer.batchSent(events, bytes, seconds);
  };

  private readonly onClientError = (error: LibrdkafkaFailure): void => {
    const kind = this.errors.kind(error);
    if (kind === 'connection') {
      this.connectionError = this.errors.toSendError(error, 'the broker is unreachable');
      if (this.outstanding > 0) this.reportUnavailable();
    } else if (kind === 'producer-fatal' || kind === 'permanent') {
      this.fail(this.errors.toSendError(error, 'the producer failed'));
    } else {
      this.logger.warn({ code: this.errors.name(error) }, `librdkafka: ${error.message ?? ''}`);
    }
  };

  /** Records wait on a broker that librdkafka cannot reach: readiness drops, metrics count it. */
  private reportUnavailable(): void {
    clearTimeout(this.unavailableTimer);
    this.unavailableTimer = undefined;
    if (!this.connectionError || this.outstanding === 0) return;
    this.observer.sendFailed(this.connectionError, this.unavailableReports++, 0);
  }

  private recovered(): void {
    clearTimeout(this.unavailableTimer);
    this.unavailableTimer = undefined;
    this.connectionError = undefined;
    if (this.unavailableReports > 0) this.observer.sendRecovered();
    this.unavailableReports = 0;
  }

  private fail(error: KafkaSendError): void {
    if (this.failedWith) return;
    this.failedWith = error;
    this.overflow.length = 0;
    this.failure.fail(error);
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.isIdle) this.idleWaiters.release();
  }
}

/** Hands one record to librdkafka, with `opaque` for its delivery report. */
export function produceRecord(producer: Produces, record: OutboxRecord, opaque: unknown): void {
  producer.produce(
    record.topic,
    record.partition ?? -1,
    record.value?.length === 0 ? EMPTY_VALUE : record.value,
    record.key,
    // 0: librdkafka stamps the send time.
    record.timestampMs ?? 0,
    opaque,
    headerList(record.headers),
  );
}

function headerList(headers: Record<string, string | null>): HeaderList | undefined {
  let list: HeaderList | undefined;
  for (const name in headers) {
    list ??= [];
    list.push({ [name]: headers[name] ?? NULL_HEADER });
  }
  return list;
}
