import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { serviceUrls } from './services.js';
import { waitFor } from './wait-for.js';

export interface TestDatabase {
  readonly name: string;
  /** The services' URL with this database in its path. */
  readonly url: string;
  /** Drops the database's replication slots (ending their walsenders), then the database. Idempotent. */
  drop(): Promise<void>;
}

/** A fresh database named `<prefix>_<random>`, created through the services' (admin) URL and owned by its role. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const adminUrl = serviceUrls().databaseUrl;
  const safePrefix = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 40);
  const name = `${safePrefix}_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop: () => {
      dropped ??= dropDatabase(adminUrl, url.toString(), name);
      return dropped;
    },
  };
}

/**
 * The local stack's superuser over its unix socket (trusted there: scripts/stack/postgres.sh), for
 * what the services' role may not do, such as creating a REPLICATION role. Only on the local stack.
 */
export function stackSuperuser(): pg.ClientConfig {
  const { databaseUrl, kind } = serviceUrls();
  if (kind !== 'local-stack')
    throw new Error(`the superuser is reachable on the local stack only, not on ${kind} services`);
  return {
    host: fileURLToPath(new URL('../../.stack/pg/sock', import.meta.url)),
    port: Number(new URL(databaseUrl).port),
    user: 'postgres',
    database: 'postgres',
  };
}

async function dropDatabase(adminUrl: string, url: string, name: string): Promise<void> {
  // A logical slot can only be dropped from its own database, and it blocks DROP DATABASE.
  await withClient(url, (client) =>
    waitFor(
      async () => {
        const { rows } = await client.query<{ slot_name: string; active_pid: number | null }>(
          'SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = current_database()',
        );
        for (const slot of rows) {
          if (slot.active_pid !== null) {
            await client.query('SELECT pg_terminate_backend($1)', [slot.active_pid]);
          } else {
            await client.query('SELECT pg_drop_replication_slot($1)', [slot.slot_name]);
          }
        }
        return rows.length === 0;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        message: `the replication slots of database ${name} to be dropped`,
      },
    ),
  );
  await withClient(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  );
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
