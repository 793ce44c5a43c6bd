import { randomUUID } from 'node:crypto';
import { quotedTable, quoteIdentifier } from '../sql-quote.js';
import { DEFAULT_MESSAGE_PREFIX, toEnvelope } from './envelope.js';
import type { EventMap, EventOf, IdentifiedEvent, OutboxEvent } from './event.js';
import { DEFAULT_LAYOUT, type PublisherTable } from './publisher-table.js';
import { type Statement, StatementBuilder } from './statement.js';
import { traceContextHeaders } from './trace-context.js';

export interface PublisherOptions {
  /** Where rows go: DEFAULT_LAYOUT, DEBEZIUM_LAYOUT or your own names. */
  readonly layout?: PublisherTable;
  /**
   * 'table' inserts rows into the outbox table; 'message' writes each event straight into the
   * WAL with pg_logical_emit_message (no table; the relay needs OUTBOX_SOURCE=messages or both).
   */
  readonly via?: 'table' | 'message';
  /** The WAL message prefix the relay listens for (OUTBOX_MESSAGE_PREFIX). */
  readonly messagePrefix?: string;
  /**
   * Headers added to every event; the event's own headers win. By default the active span's
   * W3C trace context (traceparent, tracestate) when @opentelemetry/api is installed.
   */
  readonly headers?: () => Readonly<Record<string, string>> | undefined;
}

/** Runs one statement in the caller's transaction: what each adapter provides. */
export type RunStatement<Transaction> = (
  transaction: Transaction,
  statement: Statement,
) => PromiseLike<unknown>;

/** What one call may choose differently from the outbox's options. */
export interface PublishCallOptions {
  readonly via?: 'table' | 'message';
}

type OneOrMore<Events extends EventMap> = EventOf<Events> | readonly EventOf<Events>[];

/** Publishes events in a transaction of one library (see the adapters in src/client/adapters). */
export interface Outbox<Events extends EventMap, Transaction> {
  /** Writes the events in the transaction, in order: they reach Kafka only if it commits. */
  publish(transaction: Transaction, events: OneOrMore<Events>, options?: PublishCallOptions): Promise<void>;
  /** The statement publish would run, for libraries without an adapter. */
  statement(events: OneOrMore<Events>, options?: PublishCallOptions): Statement;
}

/** An outbox for one library, given how that library runs a statement in its transaction. */
export function createOutbox<Events extends EventMap, Transaction>(
  run: RunStatement<Transaction>,
  options: PublisherOptions = {},
): Outbox<Events, Transaction> {
  const statement = (events: OneOrMore<Events>, call: PublishCallOptions = {}): Statement => {
    const list: readonly OutboxEvent[] = Array.isArray(events) ? events : [events as OutboxEvent];
    if (list.length === 0) throw new Error('publish: no events');
    const write = (call.via ?? options.via) === 'message' ? messageStatement : insertStatement;
    // One call, one context: the added headers (the active span's) are read once for all its events.
    const added = (options.headers ?? traceContextHeaders)();
    return write(
      list.map((event) => identified(event, added)),
      options,
    );
  };
  return {
    statement,
    async publish(transaction, events, call) {
      await run(transaction, statement(events, call));
    },
  };
}

function identified(
  event: OutboxEvent,
  added: Readonly<Record<string, string>> | undefined,
): IdentifiedEvent {
  for (const field of ['aggregateType', 'aggregateId', 'eventType'] as const) {
    if (typeof event[field] !== 'string' || event[field] === '') {
      throw new Error(`publish: ${field} must be a non-empty string`);
    }
  }
  if (event.payload === undefined) throw new Error('publish: payload is undefined; use null for none');
  const headers = added || event.headers ? { ...added, ...event.headers } : undefined;
  return { ...event, id: event.id ?? randomUUID(), headers };
}

/**
 * One INSERT of every event, in order. Every value goes as text and is cast in SQL: each driver
 * then sends the same bytes (postgres.js would JSON-encode a string it knows to be jsonb).
 */
function insertStatement(events: readonly IdentifiedEvent[], options: PublisherOptions): Statement {
  const layout = options.layout ?? DEFAULT_LAYOUT;
  const { columns } = layout;
  const withHeaders = columns.headers !== undefined;
  if (!withHeaders && events.some((event) => event.headers)) {
    throw new Error(`publish: the table ${layout.table} has no headers column (layout.columns.headers)`);
  }
  const names = [columns.id, columns.aggregateType, columns.aggregateId, columns.eventType, columns.payload];
  if (withHeaders) names.push(columns.headers);
  const idCast = layout.idType === 'text' ? '::text' : '::uuid';
  const builder = new StatementBuilder().sql(
    `INSERT INTO ${quotedTable(layout.table)} (${names.map(quoteIdentifier).join(', ')}) VALUES `,
  );
  events.forEach((event, index) => {
    builder
      .sql(index === 0 ? '(' : ', (')
      .param(event.id)
      .sql(`${idCast}, `);
    builder.param(event.aggregateType).sql('::text, ').param(event.aggregateId).sql('::text, ');
    builder.param(event.eventType).sql('::text, ').param(JSON.stringify(event.payload)).sql('::text::jsonb');
    if (withHeaders)
      builder
        .sql(', ')
        .param(event.headers ? JSON.stringify(event.headers) : null)
        .sql('::text::jsonb');
    builder.sql(')');
  });
  return builder.build();
}

/**
 * One transactional WAL message per event, in order: a SELECT over the envelopes, each emitted
 * after the ORDER BY (PostgreSQL evaluates volatile target-list functions after sorting). Each
 * envelope is its own text parameter: not every library passes an array parameter as one.
 */
function messageStatement(events: readonly IdentifiedEvent[], options: PublisherOptions): Statement {
  const builder = new StatementBuilder()
    .sql('SELECT pg_logical_emit_message(true, ')
    .param(options.messagePrefix ?? DEFAULT_MESSAGE_PREFIX)
    .sql('::text, envelope) FROM (VALUES ');
  events.forEach((event, index) => {
    builder
      .sql(index === 0 ? '(' : ', (')
      .param(JSON.stringify(toEnvelope(event)))
      .sql(`::text, ${index})`);
  });
  return builder.sql(') AS events(envelope, position) ORDER BY position').build();
}
