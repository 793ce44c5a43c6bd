import pg from 'pg';
import { roleOf } from '../config/postgres-url.js';
import { scrubSecrets } from '../config/redact.js';
import { classifyPgError } from './pg-errors.js';
import { resolvePrimary } from './primary.js';

/**
 * Session settings under which values print as the mapper reads them (timestamps, bytea): the
 * replication stream's, and replay's, which must print rows exactly as the stream does.
 */
export const TEXT_FORMAT_SETTINGS = '-c datestyle=ISO -c timezone=UTC -c bytea_output=hex';

/**
 * An ordinary (non-replication) connection to the primary of DATABASE_URL's hosts, for whatever
 * is not the stream: checks, status, slot metrics, the leader lock, retention, replay. A failure
 * is classified (credentials, unreachable host) and never prints the password. `options`:
 * session settings (TEXT_FORMAT_SETTINGS).
 */
export async function connectPostgres(
  databaseUrl: string,
  applicationName: string,
  options?: string,
): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: await resolvePrimary(databaseUrl),
    application_name: applicationName,
    ...(options === undefined ? {} : { options }),
  });
  client.on('error', () => undefined); // a dropped idle connection surfaces on the next query
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    const where = `PostgreSQL at ${scrubSecrets(databaseUrl)}`;
    const classified = classifyPgError(error, where, roleOf(databaseUrl));
    classified.message = `cannot connect to ${where}: ${classified.message}`;
    throw classified;
  }
}
