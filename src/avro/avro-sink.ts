import { PoisonEventError, RelayError, SchemaRegistryError } from '../errors.js';
import { retryWhileRetriable } from '../lifecycle/backoff.js';
import { assertPublishableSize, type OutboxRecord } from '../outbox/record.js';
import type { Delivery } from '../sinks/delivery.js';
import type { RecordSink } from '../sinks/record-sink.js';
import { FailureSignal, IdleWaiters } from '../sinks/sink-signals.js';
import { encodeJsonAsAvro } from './json-to-avro.js';
import type { ResolvedSchema, SchemaSource } from './schema-source.js';

const RETRY_BASE_MS = 200;

export interface AvroSinkOptions {
  readonly maxRecordBytes: number;
  readonly retryMaxMs: number;
}

export interface AvroSinkObserver {
  registryFailed(error: SchemaRegistryError, attempt: number, delayMs: number): void;
  registryRecovered(): void;
}

/**
 * Encodes each record's JSON payload as Avro before it goes on to the next sink, keeping the
 * order. With the schema cached (every record but a subject's first) this happens at once, in
 * `enqueue`; otherwise records wait in a FIFO while the registry is asked, with backoff for ever
 * if it is down (the in-flight bound then stops the stream). A payload that does not fit its
 * schema is replaced by its dead-letter record, in the same place.
 */
export class AvroEncodingSink implements RecordSink {
  private readonly waiting: Delivery[] = [];
  private readonly abort = new AbortController();
  /** Replaced on discard, so that a registry wait for a discarded record ends at once. */
  private discarded = new AbortController();
  private pumping = false;
  private readonly idleWaiters = new IdleWaiters();
  private readonly failure = new FailureSignal();
  private registryDown = false;
  readonly failed: Promise<never>;
  readonly mayDeadLetter = true;

  constructor(
    private readonly next: RecordSink,
    private readonly schemas: SchemaSource,
    private readonly options: AvroSinkOptions,
    private readonly observer: AvroSinkObserver,
  ) {
    this.failed = Promise.race([this.failure.promise, next.failed]);
    this.failed.catch(() => undefined);
  }

  enqueue(delivery: Delivery): void {
    if (this.abort.signal.aborted) return;
    if (this.waiting.length === 0 && !this.pumping) {
      let encoded: Delivery | undefined;
      try {
        encoded = this.encodeNow(delivery);
      } catch (error) {
        this.fail(error);
        return;
      }
      if (encoded) {
        this.next.enqueue(encoded);
        return;
      }
    }
    this.waiting.push(delivery);
    void this.pump();
  }

  async whenIdle(): Promise<void> {
    await this.idleWaiters.wait(this.waiting.length === 0 && !this.pumping);
    await this.next.whenIdle();
  }

  discardQueued(): void {
    this.waiting.length = 0;
    this.discarded.abort();
    this.discarded = new AbortController();
    this.next.discardQueued();
    this.notifyIfIdle();
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.discarded.abort();
    this.waiting.length = 0;
    this.notifyIfIdle();
    await this.next.close();
  }

  /** The delivery to send, or undefined when the registry must be asked first. */
  private encodeNow(delivery: Delivery): Delivery | undefined {
    if (!needsEncoding(delivery)) return delivery;
    const outcome = poisonOf(() => {
      const schema = this.schemas.cached(delivery.record);
      if (!schema) return undefined;
      const encoded = encodeRecord(delivery.record, schema, this.options.maxRecordBytes);
      if (
        encoded instanceof PoisonEventError &&
        encoded.reason === 'schema-mismatch' &&
        this.schemas.mayHaveNewer(schema)
      )
        return undefined;
      return encoded;
    });
    return outcome === undefined ? undefined : settle(delivery, outcome);
  }

  /** Works through the FIFO one record at a time, asking the registry as needed. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0 && !this.abort.signal.aborted) {
        const discarded = this.discarded.signal;
        const delivery = this.waiting[0] as Delivery;
        let encoded: Delivery;
        try {
          encoded = await this.encodeAsking(delivery, discarded);
        } catch (error) {
          if (discarded.aborted) continue;
          throw error;
        }
        if (discarded.aborted) continue;
        this.waiting.shift();
        this.next.enqueue(encoded);
      }
    } catch (error) {
      if (!this.abort.signal.aborted) this.fail(error);
    } finally {
      this.pumping = false;
      this.notifyIfIdle();
    }
  }

  private async encodeAsking(delivery: Delivery, discarded: AbortSignal): Promise<Delivery> {
    if (!needsEncoding(delivery)) return delivery;
    const record = delivery.record;
    const ask = <T>(call: () => Promise<T>) => this.askRegistry(call, discarded);
    const outcome = await poisonOfAsync(async () => {
      const schema = this.schemas.cached(record) ?? (await ask(() => this.schemas.resolve(record)));
      const encoded = encodeRecord(record, schema, this.options.maxRecordBytes);
      if (!(encoded instanceof PoisonEventError) || encoded.reason !== 'schema-mismatch') return encoded;
      const newer = await ask(() => this.schemas.newer(schema));
      return newer ? encodeRecord(record, newer, this.options.maxRecordBytes) : encoded;
    });
    return settle(delivery, outcome);
  }

  private async askRegistry<T>(call: () => Promise<T>, discarded: AbortSignal): Promise<T> {
    const result = await retryWhileRetriable(call, {
      classify: (error) =>
        error instanceof RelayError ? error : new SchemaRegistryError(String(error), undefined, false),
      baseMs: RETRY_BASE_MS,
      maxMs: this.options.retryMaxMs,
      signal: AbortSignal.any([this.abort.signal, discarded]),
      onRetry: (error, attempt, delay) => {
        this.registryDown = true;
        this.observer.registryFailed(error as SchemaRegistryError, attempt, delay);
      },
    });
    if (this.registryDown) {
      this.registryDown = false;
      this.observer.registryRecovered();
    }
    return result;
  }

  private fail(error: unknown): void {
    this.failure.fail(error);
    void this.close();
  }

  private notifyIfIdle(): void {
    if (this.waiting.length === 0 && !this.pumping) this.idleWaiters.release();
  }
}

/** Dead-letter records and tombstones (null payloads) go as they are. */
function needsEncoding(delivery: Delivery): boolean {
  return delivery.deadLetter !== undefined && delivery.record.value !== null;
}

/** The encoded record, or the PoisonEventError that says why it cannot be published. */
function encodeRecord(
  record: OutboxRecord,
  resolved: ResolvedSchema,
  maxRecordBytes: number,
): OutboxRecord | PoisonEventError {
  return poisonOf(() => {
    const value = encodeJsonAsAvro(resolved.schema, resolved.id, record.value as Buffer);
    const encoded = {
      ...record,
      value,
      sizeBytes: record.sizeBytes - (record.value?.length ?? 0) + value.length,
    };
    assertPublishableSize(encoded, maxRecordBytes);
    return encoded;
  });
}

/** Runs `produce`, returning a PoisonEventError it throws instead of throwing it. */
function poisonOf<T>(produce: () => T): T | PoisonEventError {
  try {
    return produce();
  } catch (error) {
    if (error instanceof PoisonEventError) return error;
    throw error;
  }
}

function poisonOfAsync<T>(produce: () => Promise<T>): Promise<T | PoisonEventError> {
  return produce().catch((error: unknown) =>
    error instanceof PoisonEventError ? error : Promise.reject(error),
  );
}

/** The delivery with its encoded record, or with its dead-letter record in its place. */
function settle(delivery: Delivery, outcome: OutboxRecord | PoisonEventError): Delivery {
  if (!(outcome instanceof PoisonEventError)) return { ...delivery, record: outcome };
  const deadLetter = delivery.deadLetter as NonNullable<Delivery['deadLetter']>;
  return { ...delivery, record: deadLetter(outcome), deadLetter: undefined };
}
