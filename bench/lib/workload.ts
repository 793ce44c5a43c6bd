import type pg from 'pg';
import { DEFAULT_MESSAGE_PREFIX } from '../../src/client/envelope.js';

/** One benchmark workload: what is written to the outbox and how. */
export interface Workload {
  /** Short name used in database and topic names, e.g. `tx100-p300-a1000`. */
  readonly name: string;
  readonly events: number;
  /** Events per transaction. */
  readonly txSize: number;
  /** Approximate size of the payload's JSON text in bytes. */
  readonly payloadBytes: number;
  /** Distinct aggregate ids (events are spread round-robin). */
  readonly aggregates: number;
}

export function workload(events: number, txSize: number, payloadBytes: number, aggregates: number): Workload {
  return { name: `tx${txSize}-p${payloadBytes}-a${aggregates}`, events, txSize, payloadBytes, aggregates };
}

/** 32 hex characters per md5; JSON overhead of `{"seq": N, "data": "..."}` is about 30 bytes. */
function md5Count(payloadBytes: number): number {
  return Math.max(1, Math.round((payloadBytes - 30) / 32));
}

/**
 * The payload expression, a jsonb object of the wanted size whose filler is hex from md5 (so
 * PostgreSQL cannot compress it away: 4 KB payloads are TOASTed but stay 4 KB in the WAL).
 * `s` is the event's sequence number. The Avro row's record schema (bench/systems/avro.ts)
 * declares exactly these two fields: change both together.
 */
export function payloadSql(payloadBytes: number): string {
  return `jsonb_build_object('seq', s, 'data', (SELECT string_agg(md5(s::text || '.' || g::text), '') FROM generate_series(1, ${md5Count(payloadBytes)}) g))`;
}

/** The event_type of every benchmark event (the Avro row's schema file is `<EVENT_TYPE>.avsc`). */
export const EVENT_TYPE = 'Happened';

/** Event `s`'s aggregate id, `<type>-<s mod aggregates>`: aggregates are assigned round-robin. */
function aggregateIdSql(aggregateType: string, aggregates: string): string {
  return `${aggregateType} || '-' || (s % ${aggregates})::text`;
}

/**
 * An INSERT of events [$1, $2] (sequence numbers) of aggregate type $3 into `table`, spread
 * over $4 aggregates, as one statement. Used both by the bulk filler and the paced writer.
 */
export function insertSql(table: string, payloadBytes: number): string {
  return `INSERT INTO ${table} (aggregate_type, aggregate_id, event_type, payload)
    SELECT $3::text, ${aggregateIdSql('$3::text', '$4::int')}, '${EVENT_TYPE}', ${payloadSql(payloadBytes)}
    FROM generate_series($1::int, $2::int) AS s`;
}

/**
 * The events insertSql writes, [$1, $2] of aggregate type $3 over $4 aggregates, as transactional
 * WAL messages instead (the envelope of docs/message-envelope.md), as one statement. ORDER BY s:
 * PostgreSQL evaluates a volatile select list after the sort, so the messages are written in
 * `seq` order, as the rows are.
 */
export function emitMessagesSql(payloadBytes: number): string {
  return `SELECT pg_logical_emit_message(true, '${DEFAULT_MESSAGE_PREFIX}', json_build_object(
      'v', 1, 'id', gen_random_uuid(), 'aggregateType', $3::text,
      'aggregateId', ${aggregateIdSql('$3::text', '$4::int')}, 'eventType', '${EVENT_TYPE}',
      'payload', ${payloadSql(payloadBytes)})::text)
    FROM generate_series($1::int, $2::int) AS s
    ORDER BY s`;
}

/**
 * Writes the whole workload server-side as rows of `table`, one COMMIT per `txSize` events (a
 * procedure, so a million single-event transactions do not cost a million round trips).
 */
export function fill(
  client: pg.ClientBase,
  table: string,
  aggregateType: string,
  load: Workload,
): Promise<void> {
  return fillWith(client, insertSql(table, load.payloadBytes), aggregateType, load);
}

/** The same workload as fill's, transaction for transaction, written as WAL messages (no table). */
export function fillMessages(client: pg.ClientBase, aggregateType: string, load: Workload): Promise<void> {
  // PL/pgSQL runs a query whose rows it discards (here the messages' LSNs) only as PERFORM.
  const perform = emitMessagesSql(load.payloadBytes).replace(/^SELECT/, 'PERFORM');
  return fillWith(client, perform, aggregateType, load);
}

/** Runs `statement` (events [$1, $2] of type $3 over $4 aggregates) once per transaction of the workload. */
async function fillWith(
  client: pg.ClientBase,
  statement: string,
  aggregateType: string,
  load: Workload,
): Promise<void> {
  await client.query(`CREATE OR REPLACE PROCEDURE bench_fill(total int, tx int, agg_type text, aggregates int)
    LANGUAGE plpgsql AS $proc$
    DECLARE
      first int := 0;
    BEGIN
      WHILE first < total LOOP
        ${statement
          .replace('$1::int', 'first')
          .replace('$2::int', 'least(first + tx, total) - 1')
          .replaceAll('$3::text', 'agg_type')
          .replace('$4::int', 'aggregates')};
        COMMIT;
        first := first + tx;
      END LOOP;
    END
    $proc$`);
  // The filler's commits need not wait for fsync: decoding reads the same WAL either way.
  await client.query('SET synchronous_commit = off');
  await client.query('CALL bench_fill($1, $2, $3, $4)', [
    load.events,
    load.txSize,
    aggregateType,
    load.aggregates,
  ]);
  await client.query('SET synchronous_commit = on');
}

/** Total bytes of the payloads as text, the record values' size. */
export async function payloadTotalBytes(client: pg.ClientBase, table: string): Promise<number> {
  const { rows } = await client.query<{ bytes: string }>(
    `SELECT coalesce(sum(octet_length(payload::text)), 0)::bigint AS bytes FROM ${table}`,
  );
  return Number(rows[0]?.bytes ?? 0);
}

/**
 * payloadTotalBytes without a table: the same payload expression over the same `seq`s, as the
 * text a jsonb column would hold (events written as messages are nowhere to be read back).
 */
export async function generatedPayloadTotalBytes(client: pg.ClientBase, load: Workload): Promise<number> {
  const { rows } = await client.query<{ bytes: string }>(
    `SELECT coalesce(sum(octet_length((${payloadSql(load.payloadBytes)})::text)), 0)::bigint AS bytes
      FROM generate_series(0, $1::int - 1) AS s`,
    [load.events],
  );
  return Number(rows[0]?.bytes ?? 0);
}
