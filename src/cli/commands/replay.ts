import pino, { type Logger } from 'pino';
import { secretValues } from '../../config/redact.js';
import { type RelayConfig, readsTable } from '../../config/relay-config.js';
import { ConfigError, PoisonEventError } from '../../errors.js';
import { EXIT_INTERRUPTED, onStopSignals } from '../../lifecycle/stop-signals.js';
import { createLogger } from '../../observability/logger.js';
import { deadLetterRecord } from '../../outbox/dead-letter.js';
import { layoutFromConfig, type OutboxLayout } from '../../outbox/layout.js';
import { compileRowMapper } from '../../outbox/mapper.js';
import { OutboxCursor } from '../../replay/outbox-cursor.js';
import { ProgressMeter, type ProgressSnapshot, progressBar, progressLine } from '../../replay/progress.js';
import { RateLimit } from '../../replay/rate-limit.js';
import { ReplayStates } from '../../replay/replay-state.js';
import { countRows, type PoisonHandler, type ReplayRun, sendRows } from '../../replay/replayer.js';
import {
  describeSelection,
  hasSelector,
  type ReplaySelection,
  resolveSelection,
  selectionCondition,
  selectionKey,
} from '../../replay/selection.js';
import { connectMetadata, TEXT_FORMAT_SETTINGS } from '../../replication/metadata-client.js';
import { checkOutboxTable } from '../../setup/preflight.js';
import { connectKafkaSink } from '../../sinks/kafka/connect.js';
import type { RecordSink } from '../../sinks/record-sink.js';
import type { ReplayArgs } from '../args.js';
import type { CliOutput } from '../output.js';

/** Rows read, sent and acknowledged before each saved position. */
const CHUNK_ROWS = 5_000;

/** How progress is shown: a bar redrawn on a terminal, or JSON lines for a collector or a script. */
interface ProgressOutput {
  readonly intervalMs: number;
  show(snapshot: ProgressSnapshot): void;
  end(phase: 'done' | 'interrupted', snapshot: ProgressSnapshot): void;
  /** A line for a person (terminal), or a JSON object (otherwise). */
  note(text: string, fields: Record<string, unknown>): void;
}

/**
 * `outbox-relay replay`: publishes rows already in the outbox table, as the stream would have
 * published them, without touching the slot. Resumable: the position is kept in
 * `<schema>.outbox_relay_replays` under the command line's selection.
 */
export async function replay(
  config: RelayConfig,
  args: ReplayArgs,
  json: boolean,
  cli: CliOutput,
): Promise<number> {
  const selection = checkedSelection(config, args.selection);
  const output = progressOutput(json, cli);
  const logger = createLogger({
    level: 'warn',
    pretty: false,
    destination: pino.destination(2),
    secrets: secretValues(config),
  });
  const reader = await connectMetadata(config.databaseUrl, 'outbox-relay replay', TEXT_FORMAT_SETTINGS);
  const writer = args.dryRun
    ? undefined
    : await connectMetadata(config.databaseUrl, 'outbox-relay replay state');
  try {
    const layout = await checkOutboxTable(reader, config.table, layoutFromConfig(config));
    const orderBy = orderColumn(selection, layout);
    const key = selectionKey(config.table, selection);
    const states = new ReplayStates(writer ?? reader, config.table);
    if (args.restart && writer) await states.forget(key);
    const state = await states.load(key);
    if (state?.completedAt && !args.dryRun) {
      output.note(
        `this replay finished at ${state.completedAt.toISOString()} (${state.sent} events); --restart replays it again`,
        { replay: 'finished-before', completedAt: state.completedAt.toISOString(), sent: state.sent },
      );
      return 0;
    }
    const resolved = state?.selection ?? resolveSelection(selection, Date.now());
    const condition = selectionCondition(resolved, {
      id: config.idColumn,
      aggregateType: config.aggregateTypeColumn,
      aggregateId: config.aggregateIdColumn,
      timestamp: layout.timestampColumn,
    });
    const resumeAfter = args.dryRun ? null : (state?.position ?? null);
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
      poison: poisonHandler(config, cursor.relation, layout, logger),
      timestampMs: Date.now(),
    };
    if (args.dryRun) return await dryRun(run, output, describeSelection(resolved));
    output.note(
      `replaying ${cursor.total} events (${describeSelection(resolved)})${state ? `, resuming after ${orderBy} ${state.position ?? '(start)'}` : ''}`,
      { replay: 'start', selection: resolved, events: cursor.total, resumeAfter },
    );
    const sink = await connectSink(config, logger);
    try {
      await states.begin(key, resolved);
      return await send(run, sink, args, output, {
        sentBefore: state?.sent ?? 0,
        resumeAfter,
        drainTimeoutMs: config.drainTimeoutMs,
        save: (position, sent) => states.save(key, position, sent),
        complete: (position, sent) => states.complete(key, position, sent),
      });
    } finally {
      await sink.close();
    }
  } finally {
    await reader.end().catch(() => undefined);
    await writer?.end().catch(() => undefined);
    logger.flush();
  }
}

interface Positions {
  readonly sentBefore: number;
  readonly resumeAfter: string | null;
  readonly drainTimeoutMs: number;
  save(position: string | null, sent: number): Promise<void>;
  complete(position: string | null, sent: number): Promise<void>;
}

/** Sends until done or interrupted (SIGINT/SIGTERM: a second one exits at once, the position as last saved). */
async function send(
  run: ReplayRun,
  sink: RecordSink,
  args: ReplayArgs,
  output: ProgressOutput,
  positions: Positions,
): Promise<number> {
  const meter = new ProgressMeter(positions.sentBefore + run.cursor.total, positions.sentBefore);
  const interrupt = new AbortController();
  const removeSignalHandlers = onStopSignals(() => interrupt.abort());
  const ticker = setInterval(() => output.show(meter.snapshot()), output.intervalMs);
  try {
    const outcome = await sendRows(
      run,
      {
        sink,
        meter,
        rate: args.rate === undefined ? undefined : new RateLimit(args.rate),
        chunkRows: CHUNK_ROWS,
        drainTimeoutMs: positions.drainTimeoutMs,
        signal: interrupt.signal,
        savePosition: (position) => positions.save(position, meter.snapshot().sent),
      },
      positions.resumeAfter,
    );
    clearInterval(ticker);
    const snapshot = meter.snapshot();
    if (outcome.finished) {
      await positions.complete(outcome.position, snapshot.sent);
      output.end('done', snapshot);
      return 0;
    }
    output.end('interrupted', snapshot);
    output.note('interrupted: run the same command again to resume', {
      replay: 'resume-hint',
      position: outcome.position,
    });
    return EXIT_INTERRUPTED;
  } finally {
    clearInterval(ticker);
    removeSignalHandlers();
  }
}

async function dryRun(run: ReplayRun, output: ProgressOutput, described: string): Promise<number> {
  const found = await countRows(run, CHUNK_ROWS);
  const topics = [...found.topics].sort(([a], [b]) => a.localeCompare(b));
  const poison = [...found.poison];
  output.note(
    [
      `dry run: would send ${found.events} events (${described})`,
      ...topics.map(([topic, events]) => `  ${topic}: ${events}`),
      ...poison.map(
        ([reason, rows]) => `  ${rows} rows cannot be published (${reason}): OUTBOX_ON_POISON decides`,
      ),
    ].join('\n'),
    {
      replay: 'dry-run',
      events: found.events,
      topics: Object.fromEntries(topics),
      poison: Object.fromEntries(poison),
    },
  );
  return 0;
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

function poisonHandler(
  config: RelayConfig,
  relation: ReplayRun['cursor']['relation'],
  layout: OutboxLayout,
  logger: Logger,
): PoisonHandler {
  const idAt = relation.columns.findIndex((column) => column.name === layout.idColumn);
  return (error, row, originalTopic) => {
    const id = row.values[idAt]?.toString() ?? 'null';
    if (config.onPoison === 'stop') {
      throw new PoisonEventError(
        `row ${layout.idColumn}=${id} cannot be published: ${error.message}. Fix the row's data, or set OUTBOX_ON_POISON=dlq`,
        error.reason,
      );
    }
    logger.warn({ reason: error.reason, id, topic: originalTopic }, error.message);
    return deadLetterRecord(
      config.dlqTopic,
      {
        relation,
        values: row.values,
        reason: error.reason,
        error: error.message,
        originalTopic,
        lsn: 'replay',
        xid: row.xid,
        commitTimeMs: Date.now(),
      },
      config.maxRecordBytes,
    );
  };
}

/** The relay's own sink (and Avro stage), so that records are the stream's. */
async function connectSink(config: RelayConfig, logger: Logger): Promise<RecordSink> {
  const kafka = await connectKafkaSink(config, logger, {
    batchSent: () => undefined,
    sendFailed: (error, attempt) => {
      if (attempt === 0) logger.warn({ err: error }, 'Kafka unavailable; retrying with backoff');
    },
    sendRecovered: () => logger.warn('Kafka reachable again'),
  });
  if (config.valueEncoding !== 'avro') return kafka;
  const avro = await (await import('../../avro/stage.js')).prepareAvroStage(config);
  return avro.wrap(kafka, {
    registryFailed: (error, attempt) => {
      if (attempt === 0) logger.warn({ err: error }, 'schema registry unavailable; retrying with backoff');
    },
    registryRecovered: () => logger.warn('schema registry reachable again'),
  });
}

function progressOutput(json: boolean, cli: CliOutput): ProgressOutput {
  if (!json && process.stderr.isTTY) {
    const redraw = (line: string) => cli.stderr(`\r\x1b[2K${line}`);
    return {
      intervalMs: 250,
      show: (snapshot) => redraw(progressBar(snapshot)),
      end: (phase, snapshot) => {
        redraw(progressBar(snapshot));
        cli.stderr(`\n${phase === 'done' ? 'done' : 'interrupted'}: ${snapshot.sent} events sent\n`);
      },
      note: (text) => cli.error(text),
    };
  }
  return {
    intervalMs: 1_000,
    show: (snapshot) => cli.line(progressLine('progress', snapshot)),
    end: (phase, snapshot) => cli.line(progressLine(phase, snapshot)),
    note: (_text, fields) => cli.line(JSON.stringify(fields)),
  };
}
