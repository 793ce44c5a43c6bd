import type { StoredCheckpoint } from '../checkpoint/stored-checkpoint.js';
import { errorMessage, KafkaSendError } from '../errors.js';
import type { RecordSink } from './record-sink.js';

/** Where each session's sink comes from, and where it goes after the session. */
export interface SessionSinks {
  /** The sink of a session that holds the leader lock, and what the broker already has of the stream (exactly-once). */
  open(): Promise<{ readonly sink: RecordSink; readonly checkpoint?: StoredCheckpoint }>;
  release(sink: RecordSink): Promise<void>;
  close(): Promise<void>;
}

/**
 * At-least-once: one sink for every session. One that failed retriably (a client that must be
 * created anew) is closed and replaced before the next session; its failure already ended the last one.
 */
export class SinkHolder implements SessionSinks {
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

/** A client that cannot connect after start-up: the brokers were reachable, so try again. */
export function retriable(error: unknown): never {
  throw new KafkaSendError(`Kafka: ${errorMessage(error)}`, undefined, true, { cause: error });
}

/** As retriable(), except a refusal no retry can fix (an ACL, a transactional id not allowed). */
export function retriableUnlessRefused(error: unknown): never {
  if (error instanceof KafkaSendError && error.brokerErrorType !== undefined && !error.retriable) throw error;
  return retriable(error);
}
