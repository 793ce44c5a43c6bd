import type { RelayConfig } from '../config/relay-config.js';
import { parseQualifiedName } from '../sql-quote.js';
import { type Placement, parsePlacements } from './placement.js';
import { compileTopicTemplate, type TopicTemplate } from './topic-template.js';

/** The record format settings, taken from the config as they are. */
type RecordFormat = Pick<
  RelayConfig,
  | 'valueEncoding'
  | 'keyEncoding'
  | 'headerEncoding'
  | 'tombstoneOnEmptyPayload'
  | 'recordTimestamp'
  | 'partitionPlacement'
>;

/** Which column plays which role, and how a row becomes a record. Built once from config. */
export interface OutboxLayout extends RecordFormat {
  readonly schema: string;
  readonly table: string;
  readonly idColumn: string;
  readonly aggregateIdColumn: string;
  readonly payloadColumn: string;
  readonly eventTypeColumn: string | undefined;
  readonly headersColumn: string | undefined;
  readonly timestampColumn: string | undefined;
  readonly topic: TopicTemplate;
  /** Columns declared NOT NULL, read by preflight: JsonConverter's schemas mark the others optional. */
  readonly notNullColumns: ReadonlySet<string>;
  readonly eventIdHeader: string | undefined;
  readonly eventTypeHeader: string | undefined;
  readonly placements: readonly Placement[];
}

export function layoutFromConfig(config: RelayConfig): OutboxLayout {
  const { schema, name: table } = parseQualifiedName(config.table);
  const optional = (value: string) => (value === '' ? undefined : value);
  return {
    schema,
    table,
    idColumn: config.idColumn,
    aggregateIdColumn: config.aggregateIdColumn,
    payloadColumn: config.payloadColumn,
    eventTypeColumn: optional(config.eventTypeColumn),
    headersColumn: optional(config.headersColumn),
    timestampColumn: optional(config.timestampColumn),
    topic: compileTopicTemplate(config.topicTemplate),
    valueEncoding: config.valueEncoding,
    keyEncoding: config.keyEncoding,
    headerEncoding: config.headerEncoding,
    tombstoneOnEmptyPayload: config.tombstoneOnEmptyPayload,
    recordTimestamp: config.recordTimestamp,
    partitionPlacement: config.partitionPlacement,
    notNullColumns: new Set(),
    eventIdHeader: optional(config.eventIdHeader),
    eventTypeHeader: optional(config.eventTypeHeader),
    placements: parsePlacements(config.additionalPlacement),
  };
}

/** Every column the layout reads: all must exist in the table. */
export function requiredColumns(layout: OutboxLayout): string[] {
  const columns = [
    layout.idColumn,
    layout.aggregateIdColumn,
    layout.payloadColumn,
    layout.eventTypeColumn,
    layout.headersColumn,
    layout.timestampColumn,
    ...layout.topic.columns,
    ...layout.placements.map((placement) => placement.column),
  ];
  return [...new Set(columns.filter((column): column is string => column !== undefined))];
}
