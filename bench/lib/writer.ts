import pg from 'pg';
import { insertSql } from './workload.js';

export interface PacedLoad {
  /** Events per second. */
  readonly rate: number;
  readonly seconds: number;
  readonly txSize: number;
  readonly payloadBytes: number;
  readonly aggregates: number;
}

export interface PacedResult {
  readonly events: number;
  /** Unix ms when the first transaction was due (the start of the measured window). */
  readonly startedAtMs: number;
  readonly seconds: number;
  readonly achievedRate: number;
  /** Transactions issued more than 10 ms after their due time (the writer fell behind). */
  readonly lateTransactions: number;
}

/**
 * An application writing `rate` events/s as transactions of `txSize` events, each one
 * autocommitted INSERT statement (so the row's now() is within a millisecond of its commit),
 * over a few connections so that one slow commit does not stall the schedule.
 */
export async function pacedWrite(
  databaseUrl: string,
  table: string,
  aggregateType: string,
  load: PacedLoad,
  connections = 4,
): Promise<PacedResult> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new pg.Client({
        connectionString: databaseUrl,
        application_name: 'outbox-relay bench writer',
      });
      await client.connect();
      return client;
    }),
  );
  const free = [...clients];
  let wake: (() => void) | undefined;
  const text = insertSql(table, load.payloadBytes);
  const txPerSecond = load.rate / load.txSize;
  const transactions = Math.round(txPerSecond * load.seconds);
  let late = 0;
  let failure: unknown;
  const inflight = new Set<Promise<void>>();
  const startedAt = performance.now();
  const startedAtMs = Date.now();
  try {
    for (let tx = 0; tx < transactions && !failure; tx++) {
      const due = startedAt + (tx * 1000) / txPerSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      while (free.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      if (performance.now() - due > 10) late++;
      const client = free.pop() as pg.Client;
      const first = tx * load.txSize;
      const done = client
        .query({
          name: 'bench-insert',
          text,
          values: [first, first + load.txSize - 1, aggregateType, load.aggregates],
        })
        .then(
          () => undefined,
          (error: unknown) => {
            failure = error;
          },
        )
        .finally(() => {
          free.push(client);
          inflight.delete(done);
          wake?.();
        });
      inflight.add(done);
    }
    await Promise.all(inflight);
    if (failure) throw failure;
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const events = transactions * load.txSize;
  return { events, startedAtMs, seconds, achievedRate: events / seconds, lateTransactions: late };
}
