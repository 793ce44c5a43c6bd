import type { Lsn } from '../lsn.js';
import type { TupleView } from './tuple.js';

/** pgoutput protocol version 1 messages, as far as the relay needs them. */
export type PgOutputMessage =
  | BeginMessage
  | CommitMessage
  | RelationMessage
  | InsertMessage
  | LogicalMessage
  | IgnoredMessage;

export interface BeginMessage {
  readonly tag: 'begin';
  readonly finalLsn: Lsn;
  /** Commit time in µs since 2000-01-01 (see pg-time.ts); exact as a number. */
  readonly commitTimeMicros: number;
  readonly xid: number;
}

export interface CommitMessage {
  readonly tag: 'commit';
  readonly commitLsn: Lsn;
  /** The position to confirm once every event of this transaction is acknowledged. */
  readonly endLsn: Lsn;
  readonly commitTimeMicros: number;
}

export interface RelationColumn {
  readonly name: string;
  readonly typeOid: number;
  readonly isKey: boolean;
}

export interface RelationMessage {
  readonly tag: 'relation';
  readonly relationOid: number;
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly RelationColumn[];
}

/** The decoder's one Insert: valid until it decodes the next message (see TupleView). */
export interface InsertMessage {
  readonly tag: 'insert';
  readonly relationOid: number;
  readonly tuple: TupleView;
}

/** `pg_logical_emit_message` output; not filtered by the publication. */
export interface LogicalMessage {
  readonly tag: 'message';
  readonly transactional: boolean;
  readonly lsn: Lsn;
  readonly prefix: string;
  readonly content: Buffer;
}

/** Messages the relay reads past: origin, type, update, delete, truncate. */
export interface IgnoredMessage {
  readonly tag: 'ignored';
  readonly kind: 'origin' | 'type' | 'update' | 'delete' | 'truncate';
  readonly relationOid: number | undefined;
}
