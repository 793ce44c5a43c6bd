import type { PoisonEventError } from '../errors.js';
import { sleep } from '../lifecycle/backoff.js';
import { publishableRecord, type RowMapper, Unpublishable } from '../outbox/mapper.js';
import type { OutboxRecord } from '../outbox/record.js';
import { TupleView } from '../replication/pgoutput/tuple.js';
import { NO_TRANSACTION } from '../replication/transaction-identity.js';
import type { Delivery, Receipt } from '../sinks/delivery.js';
import type { RecordSink } from '../sinks/record-sink.js';
import type { OutboxCursor, ReplayRow } from './outbox-cursor.js';
import type { ProgressMeter } from './progress.js';
import type { RateLimit } from './rate-limit.js';

/** The record to send in place of a row that cannot be published (OUTBOX_ON_POISON=dlq), or a throw (=stop). */
export type PoisonHandler = (
  error: PoisonEventError,
  row: ReplayRow,
  originalTopic: string | undefined,
) => OutboxRecord;

export interface ReplayRun {
  readonly cursor: OutboxCursor;
  readonly mapRow: RowMapper;
  readonly maxRecordBytes: number;
  readonly poison: PoisonHandler;
  /** The record timestamp of a row without one (no timestamp column, or NULL): the stream's commit time is not known. */
  readonly timestampMs: number;
}

export interface SendOptions {
  readonly sink: RecordSink;
  readonly meter: ProgressMeter;
  readonly rate: RateLimit | undefined;
  /** Rows read and sent between two saved positions. */
  readonly chunkRows: number;
  /** After an interruption, how long events in flight may take to be acknowledged. */
  readonly drainTimeoutMs: number;
  /** Aborts on SIGINT/SIGTERM: nothing more is read; what is in flight is waited for. */
  readonly signal: AbortSignal;
  /** Keeps the position: every selected row up to this order value is in Kafka. */
  readonly savePosition: (position: string | null) => Promise<void>;
}

export interface SendOutcome {
  /** Every selected row was sent and acknowledged. */
  readonly finished: boolean;
  /** The position last saved. */
  readonly position: string | null;
}

/**
 * Sends the cursor's rows to the sink in order, and saves the position after each chunk once
 * Kafka has acknowledged it. A position is an order value whose rows were all sent: rows of a
 * value cut by a chunk's end or an interruption are sent again on resumption (at-least-once).
 */
export async function sendRows(
  run: ReplayRun,
  options: SendOptions,
  resumeAfter: string | null,
): Promise<SendOutcome> {
  const { sink, signal } = options;
  const receipt: Receipt = { ...NO_TRANSACTION, acknowledged: () => options.meter.acknowledged(1) };
  let complete = resumeAfter;
  let current: string | undefined;
  for (;;) {
    const rows = await run.cursor.next(options.chunkRows);
    let interrupted = false;
    for (const row of rows) {
      interrupted = await paced(options);
      if (interrupted) break;
      if (row.position !== current) {
        if (current !== undefined) complete = current;
        current = row.position;
      }
      sink.enqueue(delivery(run, row, receipt, sink.mayDeadLetter));
    }
    const exhausted = rows.length === 0;
    if (exhausted && current !== undefined) complete = current;
    if (!(await acknowledged(sink, signal, options.drainTimeoutMs)))
      return { finished: false, position: resumeAfter };
    await options.savePosition(complete);
    resumeAfter = complete;
    if (exhausted || interrupted || signal.aborted) return { finished: exhausted, position: complete };
  }
}

/** Waits as the rate limit asks; true when interrupted. */
async function paced(options: SendOptions): Promise<boolean> {
  if (options.signal.aborted) return true;
  const waitMs = options.rate?.take(1) ?? 0;
  if (waitMs > 0) await sleep(waitMs, options.signal);
  return options.signal.aborted;
}

/** The row's record, or its dead-letter record; with a fallback to its dead letter for a later stage (Avro). */
function delivery(run: ReplayRun, row: ReplayRow, receipt: Receipt, mayDeadLetter: boolean): Delivery {
  const mapped = mapRow(run, row);
  if (mapped instanceof Unpublishable) {
    return {
      record: run.poison(mapped.error, row, mapped.topic),
      receipt,
      ordinal: 1,
      deadLetter: undefined,
    };
  }
  const topic = mapped.topic;
  return {
    record: mapped,
    receipt,
    ordinal: 1,
    deadLetter: mayDeadLetter ? (error) => run.poison(error, row, topic) : undefined,
  };
}

/** The row's record as the stream would make it, or why it cannot be published. */
function mapRow(run: ReplayRun, row: ReplayRow): OutboxRecord | Unpublishable {
  return publishableRecord(run.mapRow, TupleView.of(row.values), run.timestampMs, run.maxRecordBytes);
}

/**
 * Whether the broker acknowledged everything enqueued. An interruption while waiting leaves the
 * events in flight the drain timeout; a sink that fails rejects.
 */
async function acknowledged(sink: RecordSink, signal: AbortSignal, drainTimeoutMs: number): Promise<boolean> {
  const idle = sink.whenIdle().then(() => true);
  const waiting = new AbortController();
  try {
    if (await Promise.race([idle, sink.failed, untilAborted(AbortSignal.any([signal, waiting.signal]))]))
      return true;
    return await Promise.race([idle, sink.failed, sleep(drainTimeoutMs, waiting.signal).then(() => false)]);
  } finally {
    waiting.abort();
  }
}

function untilAborted(signal: AbortSignal): Promise<false> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(false);
    else signal.addEventListener('abort', () => resolve(false), { once: true });
  });
}

/** What a dry run finds: the events the selection would send, by topic, and the rows that would be dead letters. */
export interface DryRunCount {
  readonly events: number;
  readonly topics: ReadonlyMap<string, number>;
  readonly poison: ReadonlyMap<string, number>;
}

/** Maps every selected row as a run would, and counts; sends nothing, saves nothing. */
export async function countRows(run: ReplayRun, chunkRows: number): Promise<DryRunCount> {
  const topics = new Map<string, number>();
  const poison = new Map<string, number>();
  let events = 0;
  for (
    let rows = await run.cursor.next(chunkRows);
    rows.length > 0;
    rows = await run.cursor.next(chunkRows)
  ) {
    for (const row of rows) {
      events++;
      const mapped = mapRow(run, row);
      const tally = mapped instanceof Unpublishable ? poison : topics;
      const name = mapped instanceof Unpublishable ? mapped.error.reason : mapped.topic;
      tally.set(name, (tally.get(name) ?? 0) + 1);
    }
  }
  return { events, topics, poison };
}
