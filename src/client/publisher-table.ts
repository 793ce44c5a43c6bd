/**
 * The table the client writes events to and its column names, matching the relay's configuration.
 * (The relay's own view of the table, resolved against the server, is OutboxLayout in src/outbox/layout.ts.)
 */
export interface PublisherTable {
  /** `schema.table`; a part in double quotes keeps its case (`"App"."OutboxEvent"`), as in SQL. */
  readonly table: string;
  readonly columns: {
    readonly id: string;
    readonly aggregateType: string;
    readonly aggregateId: string;
    readonly eventType: string;
    readonly payload: string;
    /** Absent when the table has no headers column: events with headers are then refused. */
    readonly headers?: string;
  };
  /** The id column's type: `uuid` (both default tables) or `text`. */
  readonly idType?: 'uuid' | 'text';
}

/** The relay's default table (sql/outbox.sql). */
export const DEFAULT_LAYOUT: PublisherTable = {
  table: 'public.outbox',
  columns: {
    id: 'id',
    aggregateType: 'aggregate_type',
    aggregateId: 'aggregate_id',
    eventType: 'event_type',
    payload: 'payload',
    headers: 'headers',
  },
};

/** Debezium's outbox table, which the relay reads with OUTBOX_PRESET=debezium (or a debezium-* profile). */
export const DEBEZIUM_LAYOUT: PublisherTable = {
  table: 'public.outbox',
  columns: {
    id: 'id',
    aggregateType: 'aggregatetype',
    aggregateId: 'aggregateid',
    eventType: 'type',
    payload: 'payload',
  },
};
