import { duration } from '../config/parsers.js';
import { ConfigError } from '../errors.js';
import { quoteIdentifier } from '../sql-quote.js';

/** Which rows `outbox-relay replay` publishes, as given on the command line. */
export interface ReplaySelection {
  /** Rows whose timestamp column is at or after this (ISO text, or a duration ago such as `7d`). */
  readonly since: string | undefined;
  /** Rows whose timestamp column is before this. */
  readonly until: string | undefined;
  /** Rows whose id is at or after this, in the id column's own order. */
  readonly fromId: string | undefined;
  /** Rows whose id is at or before this. */
  readonly toId: string | undefined;
  readonly aggregateTypes: readonly string[];
  readonly aggregateIds: readonly string[];
  /** The column whose order is the events' order: replay sends rows in it, and resumes past it. */
  readonly orderBy: string | undefined;
  /** Every row: needed when no other selector is given, so that a bare `replay` sends nothing by accident. */
  readonly all: boolean;
}

/** The columns a selection reads, from the configuration. */
export interface SelectionColumns {
  readonly id: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly timestamp: string | undefined;
}

/** A WHERE clause and its parameters, numbered from $1. */
export interface SqlCondition {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export function hasSelector(selection: ReplaySelection): boolean {
  return (
    selection.since !== undefined ||
    selection.until !== undefined ||
    selection.fromId !== undefined ||
    selection.toId !== undefined ||
    selection.aggregateTypes.length > 0 ||
    selection.aggregateIds.length > 0
  );
}

/**
 * A relative bound (`7d`: seven days before `nowMs`) as an ISO timestamp; other text is left for
 * PostgreSQL to read as a timestamptz. Resolved once, when a replay starts: its resumption keeps it.
 */
export function resolveTimeBound(raw: string | undefined, option: string, nowMs: number): string | undefined {
  if (raw === undefined) return undefined;
  if (/^\d+(ms|s|m|h|d)$/i.test(raw.trim())) return new Date(nowMs - duration(raw, option)).toISOString();
  return raw;
}

/** The selection with its relative time bounds made absolute. */
export function resolveSelection(selection: ReplaySelection, nowMs: number): ReplaySelection {
  return {
    ...selection,
    since: resolveTimeBound(selection.since, '--since', nowMs),
    until: resolveTimeBound(selection.until, '--until', nowMs),
  };
}

/** The rows the selection names, as SQL over the outbox's columns. */
export function selectionCondition(selection: ReplaySelection, columns: SelectionColumns): SqlCondition {
  const terms: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const timestamp = () => {
    if (columns.timestamp === undefined) {
      throw new ConfigError(
        '--since/--until',
        'select by time needs the outbox timestamp column (OUTBOX_COLUMN_TIMESTAMP); this layout has none',
      );
    }
    return quoteIdentifier(columns.timestamp);
  };
  if (selection.since !== undefined) terms.push(`${timestamp()} >= ${param(selection.since)}::timestamptz`);
  if (selection.until !== undefined) terms.push(`${timestamp()} < ${param(selection.until)}::timestamptz`);
  const id = quoteIdentifier(columns.id);
  // Compared in the column's own type (uuid, bigint, text): PostgreSQL infers the parameter's.
  if (selection.fromId !== undefined) terms.push(`${id} >= ${param(selection.fromId)}`);
  if (selection.toId !== undefined) terms.push(`${id} <= ${param(selection.toId)}`);
  if (selection.aggregateTypes.length > 0) {
    terms.push(
      `${quoteIdentifier(columns.aggregateType)}::text = ANY(${param(selection.aggregateTypes)}::text[])`,
    );
  }
  if (selection.aggregateIds.length > 0) {
    terms.push(
      `${quoteIdentifier(columns.aggregateId)}::text = ANY(${param(selection.aggregateIds)}::text[])`,
    );
  }
  return { sql: terms.length === 0 ? 'true' : terms.join(' AND '), params };
}

/**
 * What identifies a replay for resumption: the same command line (before its relative times
 * are resolved) over the same table resumes where the last run stopped.
 */
export function selectionKey(table: string, selection: ReplaySelection): string {
  return JSON.stringify({
    table,
    since: selection.since ?? null,
    until: selection.until ?? null,
    fromId: selection.fromId ?? null,
    toId: selection.toId ?? null,
    aggregateTypes: [...selection.aggregateTypes].sort(),
    aggregateIds: [...selection.aggregateIds].sort(),
    orderBy: selection.orderBy ?? null,
  });
}

/** A one-line description for progress and logs: `aggregate type Order, since 2026-11-01T00:00:00Z`. */
export function describeSelection(selection: ReplaySelection): string {
  const parts = [
    selection.since !== undefined ? `since ${selection.since}` : '',
    selection.until !== undefined ? `until ${selection.until}` : '',
    selection.fromId !== undefined ? `id from ${selection.fromId}` : '',
    selection.toId !== undefined ? `id to ${selection.toId}` : '',
    selection.aggregateTypes.length > 0 ? `aggregate type ${selection.aggregateTypes.join(', ')}` : '',
    selection.aggregateIds.length > 0 ? `aggregate id ${selection.aggregateIds.join(', ')}` : '',
  ].filter((part) => part !== '');
  return parts.length === 0 ? 'every row' : parts.join('; ');
}
