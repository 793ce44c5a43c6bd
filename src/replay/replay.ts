import type { Logger } from 'pino';
import { type RelayConfig, readsTable } from '../config/relay-config.js';
import { ConfigError } from '../errors.js';
import { PoisonEvents } from '../outbox/dead-letter.js';
import { layoutFromConfig, type OutboxLayout } from '../outbox/layout.js';
import { compileRowMapper } from '../outbox/mapper.js';
import { assembleSinks, type SinkEvents } from '../pipeline/sink-assembly.js';
import { connectPostgres, TEXT_FORMAT_SETTINGS } from '../replication/postgres-client.js';
import { checkOutboxTable } from '../setup/preflight.js';
import type { RecordSink } from '../sinks/record-sink.js';
import { OutboxCursor, type ReplayRow } from './outbox-cursor.js';
import { ProgressMeter, type ProgressSnapshot } from './progress.js';
import { RateLimit } from './rate-limit.js';
import { ReplayStates } from './replay-state.js';
import { countRows, type DryRunCount, type PoisonHandler, type ReplayRun, sendRows } from './replayer.js';
import {
  hasSelector,
  type ReplaySelection,
  resolveSelection,
  selectionCondition,
  selectionKey,
} from './selection.js';

/** Rows read, sent and acknowledged before each saved position. */
const CHUNK_ROWS = 5_000;

/** What to replay, how fast, and whether to send at all. */
export interface ReplayOptions {
  readonly selection: ReplaySelection;
  /** Events per second at most; undefined: as fast as the broker takes them. */
  readonly rate: number | undefined;
  readonly dryRun: boolean;
  /** Forget a finished or interrupted replay of the same selection and start from its first row. */
  readonly restart: boolean;
}

/** A replay about to send: what it will send, and the meter its progress can be read from. */
export interface ReplayStart {
  readonly selection: ReplaySelection;
  readonly events: number;
  readonly orderBy: string;
  /** Whether an earlier run of the same selection was interrupted, and the order value it resumes after (null: its start). */
  readonly resuming: boolean;
  readonly resumeAfter: string | null;
  readonly meter: ProgressMeter;
}

export type ReplayOutcome =
  | { readonly kind: 'finished-before'; readonly completedAt: Date; readonly sent: number }
  | { readonly kind: 'dry-run'; readonly selection: ReplaySelection; readonly count: DryRunCount }
  | { readonly kind: 'done'; readonly snapshot: ProgressSnapshot }
  | { readonly kind: 'interrupted'; readonly snapshot: ProgressSnapshot; readonly position: string | null };

/**
 * Publishes rows already in the outbox table as the stream would have published them (the same
 * mapper, poison policy and sink assembly), without touching the slot. Resumable: the position
 * is kept in `<schema>.outbox_relay_replays` under the selection. `signal` interrupts it: nothing
 * more is read, and what is in flight is waited for (the drain timeout).
 */
export async function replay(
  config: RelayConfig,
  options: ReplayOptions,
  logger: Logger,
  signal: AbortSignal,
  onStart: (start: ReplayStart) => void,
): Promise<ReplayOutcome> {
  const selection = checkedSelection(config, options.selection);
  const reader = await connectPostgres(config.databaseUrl, 'outbox-relay replay', TEXT_FORMAT_SETTINGS);
  const writer = options.dryRun
    ? undefined
    : await connectPostgres(config.databaseUrl, 'outbox-relay replay state');
  try {
    const layout = await checkOutboxTable(reader, config.table, layoutFromConfig(config));
    const orderBy = orderColumn(selection, layout);
    const key = selectionKey(config.table, selection);
    const states = new ReplayStates(writer ?? reader, config.table);
    if (options.restart && writer) await states.forget(key);
    const state = await states.load(key);
    if (state?.completedAt && !options.dryRun) {
      return { kind: 'finished-before', completedAt: state.completedAt, sent: state.sent };
    }
    const resolved = state?.selection ?? resolveSelection(selection, Date.now());
    const condition = selectionCondition(resolved, {
      id: config.idColumn,
      aggregateType: config.aggregateTypeColumn,
      aggregateId: config.aggregateIdColumn,
      timestamp: layout.timestampColumn,
    });
    const resumeAfter = options.dryRun ? null : (state?.position ?? null);
    const cursor = await OutboxCursor.open(
      reader,
      config.table,
      condition,
      orderBy,
      resumeAfter ?? undefined,
    ).catch((error: unknown) => {
      throw selectionError(error);
    });
    const run: ReplayRun = {
      cursor,
      mapRow: compileRowMapper(layout, cursor.relation),
      maxRecordBytes: config.maxRecordBytes,
      poison: poisonHandler(new PoisonEvents(config, logger), cursor.relation, layout),
      timestampMs: Date.now(),
    };
    if (options.dryRun) {
      return { kind: 'dry-run', selection: resolved, count: await countRows(run, CHUNK_ROWS) };
    }
    const meter = new ProgressMeter((state?.sent ?? 0) + cursor.total, state?.sent ?? 0);
    onStart({
      selection: resolved,
      events: cursor.total,
      orderBy,
      resuming: state !== undefined,
      resumeAfter,
      meter,
    });
    const { sinks } = await assembleSinks(config, logger, replaySinkEvents(logger), undefined);
    try {
      const { sink } = await sinks.open();
      await states.begin(key, resolved);
      return await send(run, sink, { ...options, drainTimeoutMs: config.drainTimeoutMs }, signal, meter, {
        resumeAfter,
        save: (position) => states.save(key, position, meter.snapshot().sent),
        complete: (position) => states.complete(key, position, meter.snapshot().sent),
      });
    } finally {
      await sinks.close();
    }
  } finally {
    await reader.end().catch(() => undefined);
    await writer?.end().catch(() => undefined);
  }
}

/** Where a replay resumes, and how its position is kept. */
interface Positions {
  readonly resumeAfter: string | null;
  save(position: string | null): Promise<void>;
  complete(position: string | null): Promise<void>;
}

/** Sends until done or interrupted; the position is saved after each chunk the broker acknowledged. */
async function send(
  run: ReplayRun,
  sink: RecordSink,
  options: ReplayOptions & { readonly drainTimeoutMs: number },
  signal: AbortSignal,
  meter: ProgressMeter,
  positions: Positions,
): Promise<ReplayOutcome> {
  const outcome = await sendRows(
    run,
    {
      sink,
      meter,
      rate: options.rate === undefined ? undefined : new RateLimit(options.rate),
      chunkRows: CHUNK_ROWS,
      drainTimeoutMs: options.drainTimeoutMs,
      signal,
      savePosition: positions.save,
    },
    positions.resumeAfter,
  );
  const snapshot = meter.snapshot();
  if (!outcome.finished) return { kind: 'interrupted', snapshot, position: outcome.position };
  await positions.complete(outcome.position);
  return { kind: 'done', snapshot };
}

/** A replay has no state or metrics: what its sinks report (the stream's client and Avro stage) is only logged. */
function replaySinkEvents(logger: Logger): SinkEvents {
  return {
    batchSent: () => undefined,
    sendFailed: (error, attempt) => {
      if (attempt === 0) logger.warn({ err: error }, 'Kafka unavailable; retrying with backoff');
    },
    sendRecovered: () => logger.warn('Kafka reachable again'),
    registryFailed: (error, attempt) => {
      if (attempt === 0) logger.warn({ err: error }, 'schema registry unavailable; retrying with backoff');
    },
    registryRecovered: () => logger.warn('schema registry reachable again'),
  };
}

function checkedSelection(config: RelayConfig, selection: ReplaySelection): ReplaySelection {
  if (!readsTable(config)) {
    throw new ConfigError('replay', 'reads the outbox table, and OUTBOX_SOURCE=messages has none');
  }
  if (!selection.all && !hasSelector(selection)) {
    throw new ConfigError(
      'replay',
      'name the rows to publish: --since/--until, --from-id/--to-id, --aggregate-type, --aggregate-id, or --all',
    );
  }
  if (selection.all && hasSelector(selection)) {
    throw new ConfigError(
      '--all',
      'goes alone: it selects every row, and the other options narrow the selection',
    );
  }
  return selection;
}

/** The column rows are sent and resumed in: --order-by, or the timestamp column. It must never be NULL. */
function orderColumn(selection: ReplaySelection, layout: OutboxLayout): string {
  const column = selection.orderBy ?? layout.timestampColumn;
  if (column === undefined) {
    throw new ConfigError(
      '--order-by',
      'the outbox has no timestamp column (OUTBOX_COLUMN_TIMESTAMP): name the column whose order is the events’ order',
    );
  }
  if (!layout.notNullColumns.has(column)) {
    throw new ConfigError(
      '--order-by',
      `column "${column}" must exist and be NOT NULL: replay sends rows in its order and resumes past its last value`,
    );
  }
  return column;
}

/** A bound PostgreSQL could not read (an --since that is no timestamp, an --from-id of another type) is a usage error. */
function selectionError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code === '22007' || code === '22008' || code === '22P02') {
    return new ConfigError(
      'replay',
      `a selector's value does not fit its column: ${(error as Error).message}`,
    );
  }
  return error;
}

/** The poison policy of the stream, naming a row by its id: a replayed row has no WAL position. */
function poisonHandler(
  poison: PoisonEvents,
  relation: ReplayRun['cursor']['relation'],
  layout: OutboxLayout,
): PoisonHandler {
  const idAt = relation.columns.findIndex((column) => column.name === layout.idColumn);
  return (error, row: ReplayRow, originalTopic) => {
    const id = row.values[idAt]?.toString() ?? 'null';
    return poison.deadLetter(
      error,
      { relation, values: row.values, lsn: 'replay', xid: row.xid, commitTimeMs: Date.now() },
      originalTopic,
      { text: `row ${layout.idColumn}=${id}`, fields: { id } },
    );
  };
}
