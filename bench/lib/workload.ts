import type pg from 'pg';

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

/**
 * An INSERT of events [$1, $2] (sequence numbers) of aggregate type $3 into `table`, spread
 * over $4 aggregates, as one statement. Used both by the bulk filler and the paced writer.
 */
export function insertSql(table: string, payloadBytes: number): string {
  return `INSERT INTO ${table} (aggregate_type, aggregate_id, event_type, payload)
    SELECT $3::text, $3::text || '-' || (s % $4::int)::text, '${EVENT_TYPE}', ${payloadSql(payloadBytes)}
    FROM generate_series($1::int, $2::int) AS s`;
}

/**
 * Writes the whole workload server-side, one COMMIT per `txSize` events (a procedure, so a
 * million single-event transactions do not cost a million round trips).
 */
export async function fill(
  client: pg.ClientBase,
  table: string,
  aggregateType: string,
  load: Workload,
): Promise<void> {
  await client.query(`CREATE OR REPLACE PROCEDURE bench_fill(total int, tx int, agg_type text, aggregates int)
    LANGUAGE plpgsql AS $proc$
    DECLARE
      first int := 0;
    BEGIN
      WHILE first < total LOOP
        ${insertSql(table, load.payloadBytes)
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
