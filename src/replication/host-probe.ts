import pg from 'pg';
import { hostOf } from '../config/postgres-url.js';
import { scrubSecrets } from '../config/redact.js';
import { parseLsn } from './lsn.js';
import { endClient, replicationClient } from './pg-internals.js';
import type { ServerTimeline } from './split-brain.js';
import { parseTimelineHistory } from './timeline-history.js';

const PROBE_TIMEOUT_MS = 5_000;

/** What one host of DATABASE_URL is now. */
export type HostRole =
  | { readonly url: string; readonly host: string; readonly role: 'primary' | 'standby' }
  | { readonly url: string; readonly host: string; readonly role: 'unreachable'; readonly reason: string };

/** Asks a single-host URL `pg_is_in_recovery()` on an ordinary connection. */
export async function probeRole(url: string): Promise<HostRole> {
  const host = hostOf(url);
  try {
    const standby = await withClient(
      new pg.Client(probeConfig(url, 'outbox-relay primary probe')),
      async (client) =>
        (await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')).rows[0]?.standby,
    );
    if (standby === undefined) throw new Error('pg_is_in_recovery() returned no row');
    return { url, host, role: standby ? 'standby' : 'primary' };
  } catch (error) {
    return { url, host, role: 'unreachable', reason: scrubSecrets((error as Error).message) };
  }
}

/**
 * The server's system identifier, timeline, WAL position and timeline history, on a replication
 * connection (IDENTIFY_SYSTEM, TIMELINE_HISTORY): what tells an old primary from the promoted one.
 * Needs the REPLICATION attribute, as streaming does.
 */
export async function readServerTimeline(url: string): Promise<ServerTimeline> {
  return withClient(replicationClient(probeConfig(url, 'outbox-relay timeline probe')), async (client) => {
    const { rows } = await client.query<{ systemid: string; timeline: number; xlogpos: string }>(
      'IDENTIFY_SYSTEM',
    );
    const [identity] = rows;
    if (!identity) throw new Error('IDENTIFY_SYSTEM returned no row');
    const timeline = Number(identity.timeline);
    let history: ServerTimeline['history'] = [];
    if (timeline > 1) {
      const answer = await client.query<{ content: string | Buffer }>(`TIMELINE_HISTORY ${timeline}`);
      // text in PostgreSQL 15+, bytea before.
      history = parseTimelineHistory(String(answer.rows[0]?.content ?? ''));
    }
    return { systemId: identity.systemid, timeline, position: parseLsn(identity.xlogpos), history };
  });
}

function probeConfig(url: string, applicationName: string): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
  };
}

async function withClient<T>(client: pg.Client, use: (client: pg.Client) => Promise<T>): Promise<T> {
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    await endClient(client);
  }
}
