/**
 * Which outbox rows a snapshot proves ended: those whose inserting transaction id (xmin) precedes
 * the snapshot's xmin, its horizon. Every transaction id below the horizon had ended when the
 * snapshot was taken, subtransactions included: a subtransaction's id is assigned after its
 * parent's, and a parent still running is at or above the horizon. (The snapshot's list of running
 * ids holds top-level ids only, so "not in that list" proves nothing for a subtransaction, and an
 * id assigned after the snapshot is not in it either: pg_visible_in_snapshot cannot tell.)
 */

const XID_SPACE = 1n << 32n;
const HALF_XID_SPACE = 1n << 31n;

/**
 * How far (in transaction ids) a horizon may lag the server's next transaction id and still be
 * used. A row's xmin holds 32 bits; PostgreSQL keeps every unfrozen xmin within 2^31 of the next
 * id, so comparing it with the horizon modulo 2^32, as PostgreSQL itself compares ids, is exact
 * while the horizon lies within 2^31 of every row: this bound leaves 2^30 ids of margin for the
 * round that uses it.
 */
export const MAX_HORIZON_LAG = 1n << 30n;

/** The horizon's low 32 bits: the parameter of insertedBefore. */
export function horizonParameter(horizon: bigint): string {
  return (horizon % XID_SPACE).toString();
}

/** Whether a horizon (a full 64-bit id) is recent enough, given the server's next id, to compare rows with. */
export function horizonUsable(horizon: bigint, nextXid: bigint): boolean {
  return nextXid - horizon < MAX_HORIZON_LAG;
}

/**
 * SQL true for a row whose xmin precedes the horizon in parameter $`param` (horizonParameter):
 * TransactionIdPrecedes, with the permanent ids (2: frozen before PostgreSQL 9.4) older than all.
 * A row inserted at or after the horizon, or in the future of it, is never covered. A row frozen
 * since (its raw xmin kept) is covered when its xmin precedes the horizon; one whose xmin has
 * wrapped around (2^31 ids ago) may wait until it precedes again: kept, never deleted early.
 */
export function insertedBefore(param: number): string {
  const xmin = 'xmin::text::bigint';
  return `(${xmin} < 3 OR ($${param}::bigint - ${xmin} + ${XID_SPACE}) % ${XID_SPACE} BETWEEN 1 AND ${HALF_XID_SPACE - 1n})`;
}
