import pg from 'pg';
import { withDatabase } from './stack.js';

/** A fresh database owned by the outbox role, one per benchmark run. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await withClient(adminUrl, async (client) => {
    await client.query(`CREATE DATABASE "${name}"`);
  });
  return withDatabase(adminUrl, name);
}

/** Drops the run's slots (they pin WAL) and then the database. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    const { rows } = await client.query<{ slot_name: string; active_pid: number | null }>(
      'SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = $1',
      [name],
    );
    for (const slot of rows) {
      // A reader that just exited may still hold its slot for a moment; its walsender can be
      // mid-exit, when even its own role may not signal it: then waiting is enough.
      if (slot.active_pid) {
        await client.query('SELECT pg_terminate_backend($1)', [slot.active_pid]).catch(() => undefined);
      }
    }
    for (const slot of rows) {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.query('SELECT pg_drop_replication_slot($1)', [slot.slot_name]);
          break;
        } catch (error) {
          if (attempt > 80) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        break;
      } catch (error) {
        if (attempt > 40) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  });
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'outbox-relay bench' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function currentWalLsn(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return rows[0]?.lsn ?? '0/0';
}

/** Creates a pgoutput slot (after its publication, as the brief requires). */
export async function createSlot(client: pg.ClientBase, slot: string): Promise<void> {
  await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
}
