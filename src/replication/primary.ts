import pg from 'pg';
import { hostOf, splitHosts } from '../config/postgres-url.js';
import { ReplicationError } from '../errors.js';

const PROBE_TIMEOUT_MS = 5_000;

/**
 * The URL of the host that is the primary now. A single-host URL is returned as it is (no probe);
 * of several hosts, each is asked `pg_is_in_recovery()` in turn, and the first that is not a
 * standby wins: after a failover that is the promoted standby. None: a retriable ReplicationError
 * naming each host's state, so that the relay backs off and asks again.
 */
export async function resolvePrimary(databaseUrl: string): Promise<string> {
  const hosts = splitHosts(databaseUrl);
  if (hosts.length === 1) return databaseUrl;
  const seen: string[] = [];
  for (const url of hosts) {
    const client = new pg.Client({
      connectionString: url,
      application_name: 'outbox-relay primary probe',
      connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      if (rows[0]?.standby === false) return url;
      seen.push(`${hostOf(url)} is a standby`);
    } catch (error) {
      seen.push(`${hostOf(url)} did not answer (${(error as Error).message})`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new ReplicationError(
    `no primary among the hosts of DATABASE_URL: ${seen.join('; ')}`,
    undefined,
    true,
  );
}
